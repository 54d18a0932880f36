//! Site-scoped removal of cookies, cache and storage from browser stores, with backup and undo.
