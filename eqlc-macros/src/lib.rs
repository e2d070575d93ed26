//! Procedural macros of eqlc (thin: parse input, call the eqlc library).
