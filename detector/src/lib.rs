//! The eqlc detector harness.
