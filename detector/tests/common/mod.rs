//! Events shared by the detector's integration tests.

/// The seed rule's two stages for one process, at the given times (RFC 3339).
pub fn seed_pair(t_exec: &str, t_conn: &str) -> String {
    let host = r#""host":{"id":"h1","os":{"type":"linux"}}"#;
    let exec = format!(
        r#"{{"@timestamp":"{t_exec}","event":{{"id":"e1","category":["process"],"type":["start"],"action":"exec"}},{host},"process":{{"entity_id":"p1","name":"python3","args":["python3","-c","import pty; pty.spawn('/bin/sh')"],"args_count":3,"parent":{{"name":"bash"}}}}}}"#
    );
    let conn = format!(
        r#"{{"@timestamp":"{t_conn}","event":{{"id":"e2","category":["network"],"type":["start"],"action":"connection_attempted"}},{host},"process":{{"entity_id":"p1","name":"python3"}},"destination":{{"ip":"203.0.113.7"}}}}"#
    );
    format!("{exec}\n{conn}\n")
}
