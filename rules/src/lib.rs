//! The bundled rule pack.
