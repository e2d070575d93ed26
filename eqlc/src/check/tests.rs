//! Checker unit tests.
