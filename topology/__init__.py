"""The design model, its validation and rendering, and design-as-code import/export."""
