// A click on a figure opens it at full size: the tutorials' figures are saved
// at twice their displayed resolution (sphinx-gallery's image_srcset), so the
// full-size image is the sharp one. Runs offline; no library needed.
document.addEventListener("DOMContentLoaded", () => {
  for (const img of document.querySelectorAll("img.sphx-glr-single-img, img.sphx-glr-multi-img, figure img")) {
    if (img.closest("a")) continue;
    const candidates = (img.getAttribute("srcset") || "").split(",").map((s) => s.trim().split(/\s+/)[0]).filter(Boolean);
    const link = document.createElement("a");
    link.href = candidates.length ? candidates[candidates.length - 1] : img.getAttribute("src");
    link.title = "Open the full-size image";
    img.replaceWith(link);
    link.appendChild(img);
  }
});
