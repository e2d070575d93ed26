eqlc_sdk::rule! {
    pub struct Bad;
    name = "bad",
    query = "process where process.name == 'bash'",
}

fn main() {}
