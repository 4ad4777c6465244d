"""The tutorial's models, built only from the public API: gates, xor, mnist."""
