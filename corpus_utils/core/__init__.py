"""Ground floor: repository-anchored paths, process pools and argument checks; imports nothing else of the package."""
