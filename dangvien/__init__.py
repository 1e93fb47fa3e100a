"""dangvien — the command line and process runners of the party member management system."""
