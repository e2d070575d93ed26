eqlc_sdk::rule! {
    pub struct Bad;
    name = "bad",
    query = r#"process where lenght(process.name) > 3"#,
}

fn main() {}
