"""HTTP plumbing shared by every router: error rendering, request ids, dependencies."""
