//! Rule metadata, in the shape of Elastic detection-rules TOML files. Plain data with
//! `'static` contents so generated code can emit it as `static` items.

/// Rule severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// `low`
    Low,
    /// `medium`
    Medium,
    /// `high`
    High,
    /// `critical`
    Critical,
}

impl Severity {
    /// The lower-case name used in rule files and alerts.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parse a rule file's `severity` (case-insensitive).
    pub fn parse(s: &str) -> Option<Severity> {
        [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl core::fmt::Display for Severity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A MITRE ATT&CK tactic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tactic {
    /// e.g. `TA0002`.
    pub id: &'static str,
    /// e.g. `Execution`.
    pub name: &'static str,
    /// URL of the tactic page.
    pub reference: &'static str,
}

/// A MITRE ATT&CK sub-technique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subtechnique {
    /// e.g. `T1059.001`.
    pub id: &'static str,
    /// e.g. `PowerShell`.
    pub name: &'static str,
    /// URL of the sub-technique page.
    pub reference: &'static str,
}

/// A MITRE ATT&CK technique with its sub-techniques.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Technique {
    /// e.g. `T1059`.
    pub id: &'static str,
    /// e.g. `Command and Scripting Interpreter`.
    pub name: &'static str,
    /// URL of the technique page.
    pub reference: &'static str,
    /// Sub-techniques (possibly none).
    pub subtechniques: &'static [Subtechnique],
}

/// One `[[rule.threat]]` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Threat {
    /// e.g. `MITRE ATT&CK`.
    pub framework: &'static str,
    /// The tactic.
    pub tactic: Tactic,
    /// Techniques (possibly none).
    pub techniques: &'static [Technique],
}

/// Metadata of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RuleMeta {
    /// Human-readable name.
    pub name: &'static str,
    /// Stable id (`rule_id`, a UUID in detection-rules).
    pub rule_id: &'static str,
    /// Description.
    pub description: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Risk score, 0–100.
    pub risk_score: u8,
    /// Tags.
    pub tags: &'static [&'static str],
    /// Maximum alerts per run (`max_signals`, 100 in Elastic when unset).
    pub max_signals: u32,
    /// Run interval in nanoseconds (`interval`, `5m` in Elastic when unset); see
    /// [`parse_interval`].
    pub interval_ns: u64,
    /// Look-back (`from`, e.g. `now-9m`), as written.
    pub from: &'static str,
    /// Investigation guide (`note`), empty when absent.
    pub note: &'static str,
    /// Setup instructions (`setup`), empty when absent.
    pub setup: &'static str,
    /// Reference URLs.
    pub references: &'static [&'static str],
    /// MITRE ATT&CK mapping.
    pub threat: &'static [Threat],
    /// Index patterns the rule reads (`index`).
    pub index: &'static [&'static str],
}

impl RuleMeta {
    /// Default `max_signals` of Elastic rules.
    pub const DEFAULT_MAX_SIGNALS: u32 = 100;
    /// Default `interval` of Elastic rules (5 minutes), in nanoseconds.
    pub const DEFAULT_INTERVAL_NS: u64 = 300_000_000_000;
}

/// Parse an Elastic rule interval / duration such as `5m`, `30s`, `1h`, `2d`, `500ms`
/// (a positive integer followed by `ms`, `s`, `m`, `h` or `d`) into nanoseconds. Build-time
/// helper for the compiler. `None` for anything else (no unit, zero, fractions, overflow).
pub fn parse_interval(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = s.split_at(split);
    if num.is_empty() {
        return None;
    }
    let n: u64 = num.parse().ok()?;
    if n == 0 {
        return None;
    }
    let mult: u64 = match unit {
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "d" => 86_400_000_000_000,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    static TECHS: &[Technique] = &[Technique {
        id: "T1059",
        name: "Command and Scripting Interpreter",
        reference: "https://attack.mitre.org/techniques/T1059/",
        subtechniques: &[Subtechnique {
            id: "T1059.001",
            name: "PowerShell",
            reference: "https://attack.mitre.org/techniques/T1059/001/",
        }],
    }];

    static META: RuleMeta = RuleMeta {
        name: "Test",
        rule_id: "00000000-0000-0000-0000-000000000000",
        description: "d",
        severity: Severity::High,
        risk_score: 73,
        tags: &["OS: Windows"],
        max_signals: RuleMeta::DEFAULT_MAX_SIGNALS,
        interval_ns: RuleMeta::DEFAULT_INTERVAL_NS,
        from: "now-9m",
        note: "",
        setup: "",
        references: &[],
        threat: &[Threat {
            framework: "MITRE ATT&CK",
            tactic: Tactic {
                id: "TA0002",
                name: "Execution",
                reference: "https://attack.mitre.org/tactics/TA0002/",
            },
            techniques: TECHS,
        }],
        index: &["logs-endpoint.events.*"],
    };

    #[test]
    fn statics_and_severity() {
        assert_eq!(META.severity.as_str(), "high");
        assert_eq!(
            META.threat[0].techniques[0].subtechniques[0].id,
            "T1059.001"
        );
        assert_eq!(Severity::parse("Critical"), Some(Severity::Critical));
        assert_eq!(Severity::parse("nope"), None);
        assert!(Severity::Low < Severity::Critical);
        assert_eq!(Severity::Medium.to_string(), "medium");
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("5m"), Some(300_000_000_000));
        assert_eq!(parse_interval("30s"), Some(30_000_000_000));
        assert_eq!(parse_interval("1h"), Some(3_600_000_000_000));
        assert_eq!(parse_interval("2d"), Some(172_800_000_000_000));
        assert_eq!(parse_interval("250ms"), Some(250_000_000));
        for bad in [
            "",
            "5",
            "m",
            "0m",
            "1.5m",
            "-1m",
            "5 m",
            "5w",
            "99999999999999d",
        ] {
            assert_eq!(parse_interval(bad), None, "{bad}");
        }
    }
}
