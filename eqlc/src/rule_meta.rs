//! Rule metadata as the code generator sees it ([`RuleInfo`]), and its tokens: a
//! `RuleMeta` static expression of the runtime.

use proc_macro2::TokenStream;
use quote::quote;

/// Metadata of one rule (from a TOML rule file or from the inline macro's fields).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleInfo {
    /// Rule name.
    pub name: String,
    /// Stable id (UUID in detection-rules).
    pub rule_id: String,
    /// Description.
    pub description: String,
    /// `low` / `medium` / `high` / `critical`.
    pub severity: String,
    /// 0..=100.
    pub risk_score: u8,
    /// Tags.
    pub tags: Vec<String>,
    /// Alerts per rule per interval at most.
    pub max_signals: u32,
    /// Interval (e.g. `5m`) in nanoseconds.
    pub interval_ns: u64,
    /// Look-back (`now-9m`), kept as text.
    pub from: String,
    /// Investigation guide.
    pub note: String,
    /// Setup guide.
    pub setup: String,
    /// References.
    pub references: Vec<String>,
    /// Index patterns.
    pub index: Vec<String>,
    /// MITRE ATT&CK mapping.
    pub threat: Vec<ThreatInfo>,
    /// Where the rule came from (file path, or `inline`).
    pub origin: String,
}

/// One `[[rule.threat]]` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ThreatInfo {
    /// `MITRE ATT&CK`.
    pub framework: String,
    /// Tactic (id, name, reference).
    pub tactic: (String, String, String),
    /// Techniques.
    pub techniques: Vec<TechniqueInfo>,
}

/// One technique of a threat entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TechniqueInfo {
    /// Id, e.g. `T1059`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Reference URL.
    pub reference: String,
    /// Sub-techniques (id, name, reference).
    pub subtechniques: Vec<(String, String, String)>,
}

impl RuleInfo {
    /// The `RuleMeta { .. }` expression (const-evaluable) for this rule.
    pub fn to_tokens(&self, rt: &TokenStream) -> TokenStream {
        let RuleInfo {
            name,
            rule_id,
            description,
            severity,
            risk_score,
            tags,
            max_signals,
            interval_ns,
            from,
            note,
            setup,
            references,
            index,
            threat,
            origin: _,
        } = self;
        let sev = match severity.to_ascii_lowercase().as_str() {
            "low" => quote! { Low },
            "high" => quote! { High },
            "critical" => quote! { Critical },
            _ => quote! { Medium },
        };
        let threats = threat.iter().map(|t| {
            let fw = &t.framework;
            let (tid, tname, tref) = &t.tactic;
            let techs = t.techniques.iter().map(|x| {
                let (id, name, reference) = (&x.id, &x.name, &x.reference);
                let subs = x.subtechniques.iter().map(|(id, name, reference)| {
                    quote! { #rt::meta::Subtechnique { id: #id, name: #name, reference: #reference } }
                });
                quote! {
                    #rt::meta::Technique {
                        id: #id, name: #name, reference: #reference,
                        subtechniques: &[#(#subs),*],
                    }
                }
            });
            quote! {
                #rt::meta::Threat {
                    framework: #fw,
                    tactic: #rt::meta::Tactic { id: #tid, name: #tname, reference: #tref },
                    techniques: &[#(#techs),*],
                }
            }
        });
        quote! {
            #rt::RuleMeta {
                name: #name,
                rule_id: #rule_id,
                description: #description,
                severity: #rt::Severity::#sev,
                risk_score: #risk_score,
                tags: &[#(#tags),*],
                max_signals: #max_signals,
                interval_ns: #interval_ns,
                from: #from,
                note: #note,
                setup: #setup,
                references: &[#(#references),*],
                index: &[#(#index),*],
                threat: &[#(#threats),*],
            }
        }
    }
}
