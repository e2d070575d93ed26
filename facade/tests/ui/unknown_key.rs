eqlc_sdk::rule! {
    pub struct Bad;
    name = "bad",
    qurey = "process where true",
}

fn main() {}
