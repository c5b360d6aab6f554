"""The tools, grouped by module: `def tool(app: App, ...)` functions registered in `registry.TOOLS`."""
