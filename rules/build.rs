//! Rebuild the pack when a rule file is added or removed: the macro tracks the files it
//! read, but on stable Rust only a build script can watch a folder for new files.

fn main() {
    println!("cargo:rerun-if-changed=linux");
}
