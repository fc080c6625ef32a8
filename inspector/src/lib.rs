//! Inspector library.
