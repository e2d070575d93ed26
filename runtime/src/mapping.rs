//! What Elasticsearch's mapping makes of a field's JSON values: the types of well-known
//! ECS / Elastic Defend fields ([`ecs_type`]) and the value each type indexes for a JSON
//! scalar ([`index_scalar`]), or that it refuses the document.
//!
//! The detector's decoder applies this to every field a pack reads (a refused document
//! is a bad line there, as it never reaches a rule in Elasticsearch), and rule self-tests
//! apply it to their events ([`index_document`]), so that a rule's `[[test]]` sees the
//! values a built detector sees.
//!
//! Only fields whose Elasticsearch type is numeric, `ip` or `boolean` are listed
//! (keyword-like fields accept any scalar, so they need no check). Generated from the
//! project's schema tables (`shared/schema/ecs-flat.json`, ECS 9.5.0 + Elastic Defend,
//! namespaces process/destination/source/host/file/network/event/user/group/dll/dns/
//! client/server/url/http, plus every such field of `corpus-fields.json`).

use crate::value::Value;

/// The storage type Elasticsearch would give a field, as far as values are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldType {
    /// Anything goes (keyword, text, unknown fields).
    #[default]
    Any,
    /// `long`/`integer`/`short`/`byte`: numbers, or strings holding a number.
    Integer,
    /// `double`/`float`: numbers, or strings holding a number.
    Float,
    /// `ip`: strings holding an IPv4 or IPv6 address.
    Ip,
    /// `boolean`: `true`/`false`, or the strings `"true"`, `"false"`, `""`.
    Boolean,
}

impl FieldType {
    /// The Elasticsearch type name (`keyword` for [`FieldType::Any`]).
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Any => "keyword",
            FieldType::Integer => "long",
            FieldType::Float => "double",
            FieldType::Ip => "ip",
            FieldType::Boolean => "boolean",
        }
    }
}

/// The type to check for `path`; [`FieldType::Any`] for fields not in the table.
pub fn ecs_type(path: &str) -> FieldType {
    match ECS_TYPES.binary_search_by(|(p, _)| (*p).cmp(path)) {
        Ok(i) => ECS_TYPES[i].1,
        Err(_) => FieldType::Any,
    }
}

/// The value a field of type `ty` indexes for the JSON scalar `v`, `None` when the
/// mapping refuses it (and with it the whole document):
///
/// * `null` is `null` in every type, and [`FieldType::Any`] keeps every value;
/// * a `long` keeps the integer part of a number (Elasticsearch coerces `3.5` to 3; out of
///   range is refused), a `double` any number; both read a string holding a number
///   (surrounding spaces allowed), and an empty string as `null`;
/// * an `ip` takes strings holding an IPv4 or IPv6 address;
/// * a `boolean` takes `true`/`false` and the strings `"true"`, `"false"` and `""` (kept
///   as text, which compares as the boolean it spells).
#[inline]
pub fn index_scalar(ty: FieldType, v: Value<'_>) -> Option<Value<'_>> {
    match (ty, v) {
        (_, Value::Null) | (FieldType::Any, _) => Some(v),
        (FieldType::Integer, Value::Float(x)) => long_of(x).map(Value::Int),
        (FieldType::Integer | FieldType::Float, Value::Int(_) | Value::Float(_))
        | (FieldType::Boolean, Value::Bool(_)) => Some(v),
        (FieldType::Integer | FieldType::Float, Value::Str(s)) => number_of_str(ty, s),
        (FieldType::Ip, Value::Str(s)) => crate::cidr::parse_ip(s).is_some().then_some(v),
        (FieldType::Boolean, Value::Str(s)) => matches!(s, "true" | "false" | "").then_some(v),
        _ => None,
    }
}

/// The `long` Elasticsearch indexes for a number: its integer part, if within range.
fn long_of(x: f64) -> Option<i64> {
    // 2^63: every integral f64 in [-2^63, 2^63) converts to i64 exactly
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let t = x.trunc();
    (t.is_finite() && (-TWO_63..TWO_63).contains(&t)).then_some(t as i64)
}

/// The value a numeric field (`ty` is `Integer` or `Float`) indexes for a string, as
/// Elasticsearch coerces it: the number it holds (surrounding spaces allowed; a `long`
/// keeps the integer part), `null` for an empty string, `None` when it holds no number
/// (the document is refused).
fn number_of_str(ty: FieldType, s: &str) -> Option<Value<'static>> {
    let t = s.trim();
    if t.is_empty() {
        return Some(Value::Null);
    }
    if ty == FieldType::Integer {
        if let Ok(i) = t.parse::<i64>() {
            return Some(Value::Int(i));
        }
    }
    let x = t.parse::<f64>().ok().filter(|x| x.is_finite())?;
    match ty {
        FieldType::Integer => long_of(x).map(Value::Int),
        _ => Some(Value::Float(x)),
    }
}

/// A value of a JSON document that the mapping refuses ([`index_document`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    /// Dotted path of the field.
    pub path: String,
    /// The value, as JSON text.
    pub value: String,
    /// The field's type.
    pub ty: FieldType,
}

/// Replace every scalar of `doc` at a path of known type ([`ecs_type`]) by the value its
/// mapping indexes ([`index_scalar`]); `Err` names the first value the mapping refuses.
/// Paths are dotted key paths, nested objects and dotted keys alike, arrays (of values or
/// of objects) being transparent, as [`crate::record::json_field_values`] reads them.
///
/// # Errors
/// The first refused value, in document order.
pub fn index_document(doc: &mut serde_json::Value) -> Result<(), Refused> {
    let mut path = String::new();
    index_at(doc, &mut path)
}

fn index_at(v: &mut serde_json::Value, path: &mut String) -> Result<(), Refused> {
    use serde_json::Value as J;
    match v {
        J::Object(map) => {
            for (k, child) in map.iter_mut() {
                let len = path.len();
                if len > 0 {
                    path.push('.');
                }
                path.push_str(k);
                let r = index_at(child, path);
                path.truncate(len);
                r?;
            }
            Ok(())
        }
        J::Array(items) => items.iter_mut().try_for_each(|x| index_at(x, path)),
        _ => {
            let ty = ecs_type(path);
            if ty == FieldType::Any {
                return Ok(());
            }
            let scalar = match &*v {
                J::Null => Value::Null,
                J::Bool(b) => Value::Bool(*b),
                J::Number(n) => match n.as_i64() {
                    Some(i) => Value::Int(i),
                    None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
                J::String(s) => Value::Str(s),
                J::Array(_) | J::Object(_) => unreachable!("scalars only"),
            };
            let refused = || Refused {
                path: path.clone(),
                value: v.to_string(),
                ty,
            };
            let new = match index_scalar(ty, scalar) {
                None => return Err(refused()),
                Some(Value::Null) => J::Null,
                Some(Value::Int(i)) => J::from(i),
                Some(Value::Float(x)) => J::from(x),
                Some(Value::Bool(b)) => J::Bool(b),
                Some(Value::Str(_)) => return Ok(()),
            };
            *v = new;
            Ok(())
        }
    }
}

/// `(path, type)`, sorted by path.
static ECS_TYPES: &[(&str, FieldType)] = &[
    (
        "azure.signinlogs.properties.device_detail.is_managed",
        FieldType::Boolean,
    ),
    (
        "azure.signinlogs.properties.is_interactive",
        FieldType::Boolean,
    ),
    (
        "azure.signinlogs.properties.status.error_code",
        FieldType::Integer,
    ),
    ("blocklist_label", FieldType::Integer),
    ("client.as.number", FieldType::Integer),
    ("client.bytes", FieldType::Integer),
    ("client.ip", FieldType::Ip),
    ("client.nat.ip", FieldType::Ip),
    ("client.nat.port", FieldType::Integer),
    ("client.packets", FieldType::Integer),
    ("client.port", FieldType::Integer),
    ("container.security_context.privileged", FieldType::Boolean),
    ("destination.as.number", FieldType::Integer),
    ("destination.bytes", FieldType::Integer),
    ("destination.ip", FieldType::Ip),
    ("destination.nat.ip", FieldType::Ip),
    ("destination.nat.port", FieldType::Integer),
    ("destination.packets", FieldType::Integer),
    ("destination.port", FieldType::Integer),
    ("dll.Ext.code_signature.exists", FieldType::Boolean),
    ("dll.Ext.code_signature.trusted", FieldType::Boolean),
    ("dll.Ext.code_signature.valid", FieldType::Boolean),
    (
        "dll.Ext.malware_classification.features.data.decompressed_size",
        FieldType::Integer,
    ),
    ("dll.Ext.malware_classification.score", FieldType::Float),
    ("dll.Ext.malware_classification.threshold", FieldType::Float),
    (
        "dll.Ext.malware_classification.upx_packed",
        FieldType::Boolean,
    ),
    ("dll.Ext.relative_file_creation_time", FieldType::Float),
    ("dll.Ext.relative_file_name_modify_time", FieldType::Float),
    ("dll.code_signature.exists", FieldType::Boolean),
    ("dll.code_signature.trusted", FieldType::Boolean),
    ("dll.code_signature.valid", FieldType::Boolean),
    ("dll.pe.go_imports_names_entropy", FieldType::Integer),
    ("dll.pe.go_imports_names_var_entropy", FieldType::Integer),
    ("dll.pe.go_stripped", FieldType::Boolean),
    ("dll.pe.imports_names_entropy", FieldType::Integer),
    ("dll.pe.imports_names_var_entropy", FieldType::Integer),
    ("dll.pe.sections.entropy", FieldType::Integer),
    ("dll.pe.sections.physical_size", FieldType::Integer),
    ("dll.pe.sections.var_entropy", FieldType::Integer),
    ("dll.pe.sections.virtual_size", FieldType::Integer),
    ("dns.Ext.status", FieldType::Integer),
    ("dns.answers.ttl", FieldType::Integer),
    ("dns.resolved_ip", FieldType::Ip),
    ("event.duration", FieldType::Integer),
    ("event.risk_score", FieldType::Float),
    ("event.risk_score_norm", FieldType::Float),
    ("event.sequence", FieldType::Integer),
    ("event.severity", FieldType::Integer),
    ("file.Ext.code_signature.exists", FieldType::Boolean),
    ("file.Ext.code_signature.trusted", FieldType::Boolean),
    ("file.Ext.code_signature.valid", FieldType::Boolean),
    ("file.Ext.entropy", FieldType::Float),
    ("file.Ext.entry_modified", FieldType::Float),
    ("file.Ext.macro.code_page", FieldType::Integer),
    ("file.Ext.macro.errors.count", FieldType::Integer),
    (
        "file.Ext.malware_classification.features.data.decompressed_size",
        FieldType::Integer,
    ),
    ("file.Ext.malware_classification.score", FieldType::Float),
    (
        "file.Ext.malware_classification.threshold",
        FieldType::Float,
    ),
    (
        "file.Ext.malware_classification.upx_packed",
        FieldType::Boolean,
    ),
    ("file.Ext.quarantine_result", FieldType::Boolean),
    ("file.code_signature.exists", FieldType::Boolean),
    ("file.code_signature.trusted", FieldType::Boolean),
    ("file.code_signature.valid", FieldType::Boolean),
    ("file.elf.go_imports_names_entropy", FieldType::Integer),
    ("file.elf.go_imports_names_var_entropy", FieldType::Integer),
    ("file.elf.go_stripped", FieldType::Boolean),
    ("file.elf.header.entrypoint", FieldType::Integer),
    ("file.elf.imports_names_entropy", FieldType::Integer),
    ("file.elf.imports_names_var_entropy", FieldType::Integer),
    ("file.elf.sections.chi2", FieldType::Integer),
    ("file.elf.sections.entropy", FieldType::Integer),
    ("file.elf.sections.physical_size", FieldType::Integer),
    ("file.elf.sections.var_entropy", FieldType::Integer),
    ("file.elf.sections.virtual_address", FieldType::Integer),
    ("file.elf.sections.virtual_size", FieldType::Integer),
    ("file.macho.go_imports_names_entropy", FieldType::Integer),
    (
        "file.macho.go_imports_names_var_entropy",
        FieldType::Integer,
    ),
    ("file.macho.go_stripped", FieldType::Boolean),
    ("file.macho.imports_names_entropy", FieldType::Integer),
    ("file.macho.imports_names_var_entropy", FieldType::Integer),
    ("file.macho.sections.entropy", FieldType::Integer),
    ("file.macho.sections.physical_size", FieldType::Integer),
    ("file.macho.sections.var_entropy", FieldType::Integer),
    ("file.macho.sections.virtual_size", FieldType::Integer),
    ("file.pe.Ext.dotnet", FieldType::Boolean),
    ("file.pe.go_imports_names_entropy", FieldType::Integer),
    ("file.pe.go_imports_names_var_entropy", FieldType::Integer),
    ("file.pe.go_stripped", FieldType::Boolean),
    ("file.pe.imports_names_entropy", FieldType::Integer),
    ("file.pe.imports_names_var_entropy", FieldType::Integer),
    ("file.pe.sections.entropy", FieldType::Integer),
    ("file.pe.sections.physical_size", FieldType::Integer),
    ("file.pe.sections.var_entropy", FieldType::Integer),
    ("file.pe.sections.virtual_size", FieldType::Integer),
    ("file.size", FieldType::Integer),
    ("file.x509.public_key_exponent", FieldType::Integer),
    ("file.x509.public_key_size", FieldType::Integer),
    ("host.cpu.usage", FieldType::Float),
    ("host.disk.read.bytes", FieldType::Integer),
    ("host.disk.write.bytes", FieldType::Integer),
    ("host.entity.attributes.managed", FieldType::Boolean),
    ("host.entity.attributes.mfa_enabled", FieldType::Boolean),
    ("host.ip", FieldType::Ip),
    ("host.network.egress.bytes", FieldType::Integer),
    ("host.network.egress.packets", FieldType::Integer),
    ("host.network.ingress.bytes", FieldType::Integer),
    ("host.network.ingress.packets", FieldType::Integer),
    ("host.risk.calculated_score", FieldType::Float),
    ("host.risk.calculated_score_norm", FieldType::Float),
    ("host.risk.static_score", FieldType::Float),
    ("host.risk.static_score_norm", FieldType::Float),
    ("host.target.cpu.usage", FieldType::Float),
    ("host.target.disk.read.bytes", FieldType::Integer),
    ("host.target.disk.write.bytes", FieldType::Integer),
    ("host.target.entity.attributes.managed", FieldType::Boolean),
    (
        "host.target.entity.attributes.mfa_enabled",
        FieldType::Boolean,
    ),
    ("host.target.ip", FieldType::Ip),
    ("host.target.network.egress.bytes", FieldType::Integer),
    ("host.target.network.egress.packets", FieldType::Integer),
    ("host.target.network.ingress.bytes", FieldType::Integer),
    ("host.target.network.ingress.packets", FieldType::Integer),
    ("host.target.risk.calculated_score", FieldType::Float),
    ("host.target.risk.calculated_score_norm", FieldType::Float),
    ("host.target.risk.static_score", FieldType::Float),
    ("host.target.risk.static_score_norm", FieldType::Float),
    ("host.target.uptime", FieldType::Integer),
    ("host.uptime", FieldType::Integer),
    ("http.request.body.bytes", FieldType::Integer),
    ("http.request.bytes", FieldType::Integer),
    ("http.response.body.bytes", FieldType::Integer),
    ("http.response.bytes", FieldType::Integer),
    ("http.response.status_code", FieldType::Integer),
    ("kibana.alert.risk_score", FieldType::Integer),
    ("network.bytes", FieldType::Integer),
    ("network.forwarded_ip", FieldType::Ip),
    ("network.packets", FieldType::Integer),
    ("problemchild.prediction", FieldType::Integer),
    ("problemchild.prediction_probability", FieldType::Integer),
    (
        "process.Ext.api.metadata.client_is_local",
        FieldType::Boolean,
    ),
    (
        "process.Ext.api.parameters.desired_access_numeric",
        FieldType::Integer,
    ),
    ("process.Ext.code_signature.exists", FieldType::Boolean),
    ("process.Ext.code_signature.trusted", FieldType::Boolean),
    ("process.Ext.code_signature.valid", FieldType::Boolean),
    ("process.Ext.created_suspended", FieldType::Boolean),
    (
        "process.Ext.dll.Ext.code_signature.exists",
        FieldType::Boolean,
    ),
    (
        "process.Ext.dll.Ext.code_signature.trusted",
        FieldType::Boolean,
    ),
    (
        "process.Ext.dll.Ext.code_signature.valid",
        FieldType::Boolean,
    ),
    ("process.Ext.dll.code_signature.exists", FieldType::Boolean),
    ("process.Ext.dll.code_signature.trusted", FieldType::Boolean),
    ("process.Ext.dll.code_signature.valid", FieldType::Boolean),
    ("process.Ext.effective_parent.pid", FieldType::Integer),
    ("process.Ext.load_module.taints", FieldType::Integer),
    (
        "process.Ext.malware_classification.features.data.decompressed_size",
        FieldType::Integer,
    ),
    ("process.Ext.malware_classification.score", FieldType::Float),
    (
        "process.Ext.malware_classification.threshold",
        FieldType::Float,
    ),
    (
        "process.Ext.malware_classification.upx_packed",
        FieldType::Boolean,
    ),
    ("process.Ext.memfd.flag_allow_seal", FieldType::Boolean),
    ("process.Ext.memfd.flag_cloexec", FieldType::Boolean),
    ("process.Ext.memfd.flag_exec", FieldType::Boolean),
    ("process.Ext.memfd.flag_hugetlb", FieldType::Boolean),
    ("process.Ext.memfd.flag_noexec_seal", FieldType::Boolean),
    ("process.Ext.memfd.flags", FieldType::Integer),
    (
        "process.Ext.memory_region.bytes_compressed_present",
        FieldType::Boolean,
    ),
    (
        "process.Ext.memory_region.mapped_pe.Ext.dotnet",
        FieldType::Boolean,
    ),
    (
        "process.Ext.memory_region.mapped_pe.go_imports_names_entropy",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.mapped_pe.go_imports_names_var_entropy",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.mapped_pe.go_stripped",
        FieldType::Boolean,
    ),
    (
        "process.Ext.memory_region.mapped_pe.imports_names_entropy",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.mapped_pe.imports_names_var_entropy",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.mapped_pe.sections.entropy",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.mapped_pe.sections.physical_size",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.mapped_pe.sections.var_entropy",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.mapped_pe.sections.virtual_size",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.mapped_pe_detected",
        FieldType::Boolean,
    ),
    (
        "process.Ext.memory_region.memory_pe.Ext.dotnet",
        FieldType::Boolean,
    ),
    (
        "process.Ext.memory_region.memory_pe.go_imports_names_entropy",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.memory_pe.go_imports_names_var_entropy",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.memory_pe.go_stripped",
        FieldType::Boolean,
    ),
    (
        "process.Ext.memory_region.memory_pe.imports_names_entropy",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.memory_pe.imports_names_var_entropy",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.memory_pe.sections.entropy",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.memory_pe.sections.physical_size",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.memory_pe.sections.var_entropy",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.memory_pe.sections.virtual_size",
        FieldType::Integer,
    ),
    (
        "process.Ext.memory_region.memory_pe_detected",
        FieldType::Boolean,
    ),
    ("process.Ext.ptrace.addr", FieldType::Integer),
    ("process.Ext.ptrace.child_pid", FieldType::Integer),
    ("process.Ext.ptrace.data", FieldType::Integer),
    ("process.Ext.ptrace.request", FieldType::Integer),
    ("process.Ext.real.pid", FieldType::Integer),
    ("process.Ext.relative_file_creation_time", FieldType::Float),
    (
        "process.Ext.relative_file_name_modify_time",
        FieldType::Float,
    ),
    (
        "process.Ext.session_info.relative_logon_time",
        FieldType::Float,
    ),
    (
        "process.Ext.session_info.relative_password_age",
        FieldType::Float,
    ),
    ("process.Ext.shmget.flags", FieldType::Integer),
    ("process.Ext.shmget.key", FieldType::Integer),
    ("process.Ext.shmget.size", FieldType::Integer),
    ("process.Ext.token.elevation", FieldType::Boolean),
    ("process.Ext.token.integrity_level", FieldType::Integer),
    ("process.Ext.token.is_appcontainer", FieldType::Boolean),
    ("process.Ext.token.privileges.enabled", FieldType::Boolean),
    ("process.Ext.trusted", FieldType::Boolean),
    ("process.Ext.trusted_descendant", FieldType::Boolean),
    ("process.ai_agent.is_descendant", FieldType::Boolean),
    ("process.args_count", FieldType::Integer),
    ("process.code_signature.exists", FieldType::Boolean),
    ("process.code_signature.trusted", FieldType::Boolean),
    ("process.code_signature.valid", FieldType::Boolean),
    ("process.elf.go_imports_names_entropy", FieldType::Integer),
    (
        "process.elf.go_imports_names_var_entropy",
        FieldType::Integer,
    ),
    ("process.elf.go_stripped", FieldType::Boolean),
    ("process.elf.header.entrypoint", FieldType::Integer),
    ("process.elf.imports_names_entropy", FieldType::Integer),
    ("process.elf.imports_names_var_entropy", FieldType::Integer),
    ("process.elf.sections.chi2", FieldType::Integer),
    ("process.elf.sections.entropy", FieldType::Integer),
    ("process.elf.sections.physical_size", FieldType::Integer),
    ("process.elf.sections.var_entropy", FieldType::Integer),
    ("process.elf.sections.virtual_address", FieldType::Integer),
    ("process.elf.sections.virtual_size", FieldType::Integer),
    ("process.entry_leader.args_count", FieldType::Integer),
    ("process.entry_leader.entry_meta.source.ip", FieldType::Ip),
    ("process.entry_leader.interactive", FieldType::Boolean),
    ("process.entry_leader.parent.pid", FieldType::Integer),
    (
        "process.entry_leader.parent.session_leader.pid",
        FieldType::Integer,
    ),
    (
        "process.entry_leader.parent.session_leader.vpid",
        FieldType::Integer,
    ),
    ("process.entry_leader.parent.vpid", FieldType::Integer),
    ("process.entry_leader.pid", FieldType::Integer),
    ("process.entry_leader.same_as_process", FieldType::Boolean),
    (
        "process.entry_leader.tty.char_device.major",
        FieldType::Integer,
    ),
    (
        "process.entry_leader.tty.char_device.minor",
        FieldType::Integer,
    ),
    ("process.entry_leader.vpid", FieldType::Integer),
    ("process.exit_code", FieldType::Integer),
    ("process.group_leader.args_count", FieldType::Integer),
    ("process.group_leader.interactive", FieldType::Boolean),
    ("process.group_leader.pid", FieldType::Integer),
    ("process.group_leader.same_as_process", FieldType::Boolean),
    (
        "process.group_leader.tty.char_device.major",
        FieldType::Integer,
    ),
    (
        "process.group_leader.tty.char_device.minor",
        FieldType::Integer,
    ),
    ("process.group_leader.vpid", FieldType::Integer),
    ("process.interactive", FieldType::Boolean),
    ("process.io.bytes_skipped.length", FieldType::Integer),
    ("process.io.bytes_skipped.offset", FieldType::Integer),
    (
        "process.io.max_bytes_per_process_exceeded",
        FieldType::Boolean,
    ),
    ("process.io.total_bytes_captured", FieldType::Integer),
    ("process.io.total_bytes_skipped", FieldType::Integer),
    ("process.macho.go_imports_names_entropy", FieldType::Integer),
    (
        "process.macho.go_imports_names_var_entropy",
        FieldType::Integer,
    ),
    ("process.macho.go_stripped", FieldType::Boolean),
    ("process.macho.imports_names_entropy", FieldType::Integer),
    (
        "process.macho.imports_names_var_entropy",
        FieldType::Integer,
    ),
    ("process.macho.sections.entropy", FieldType::Integer),
    ("process.macho.sections.physical_size", FieldType::Integer),
    ("process.macho.sections.var_entropy", FieldType::Integer),
    ("process.macho.sections.virtual_size", FieldType::Integer),
    (
        "process.parent.Ext.code_signature.exists",
        FieldType::Boolean,
    ),
    (
        "process.parent.Ext.code_signature.trusted",
        FieldType::Boolean,
    ),
    (
        "process.parent.Ext.code_signature.valid",
        FieldType::Boolean,
    ),
    (
        "process.parent.Ext.dll.Ext.code_signature.exists",
        FieldType::Boolean,
    ),
    (
        "process.parent.Ext.dll.Ext.code_signature.trusted",
        FieldType::Boolean,
    ),
    (
        "process.parent.Ext.dll.Ext.code_signature.valid",
        FieldType::Boolean,
    ),
    (
        "process.parent.Ext.dll.code_signature.exists",
        FieldType::Boolean,
    ),
    (
        "process.parent.Ext.dll.code_signature.trusted",
        FieldType::Boolean,
    ),
    (
        "process.parent.Ext.dll.code_signature.valid",
        FieldType::Boolean,
    ),
    ("process.parent.Ext.real.pid", FieldType::Integer),
    ("process.parent.Ext.token.elevation", FieldType::Boolean),
    (
        "process.parent.Ext.token.integrity_level",
        FieldType::Integer,
    ),
    (
        "process.parent.Ext.token.is_appcontainer",
        FieldType::Boolean,
    ),
    (
        "process.parent.Ext.token.privileges.enabled",
        FieldType::Boolean,
    ),
    ("process.parent.args_count", FieldType::Integer),
    ("process.parent.code_signature.exists", FieldType::Boolean),
    ("process.parent.code_signature.trusted", FieldType::Boolean),
    ("process.parent.code_signature.valid", FieldType::Boolean),
    (
        "process.parent.elf.go_imports_names_entropy",
        FieldType::Integer,
    ),
    (
        "process.parent.elf.go_imports_names_var_entropy",
        FieldType::Integer,
    ),
    ("process.parent.elf.go_stripped", FieldType::Boolean),
    ("process.parent.elf.header.entrypoint", FieldType::Integer),
    (
        "process.parent.elf.imports_names_entropy",
        FieldType::Integer,
    ),
    (
        "process.parent.elf.imports_names_var_entropy",
        FieldType::Integer,
    ),
    ("process.parent.elf.sections.chi2", FieldType::Integer),
    ("process.parent.elf.sections.entropy", FieldType::Integer),
    (
        "process.parent.elf.sections.physical_size",
        FieldType::Integer,
    ),
    (
        "process.parent.elf.sections.var_entropy",
        FieldType::Integer,
    ),
    (
        "process.parent.elf.sections.virtual_address",
        FieldType::Integer,
    ),
    (
        "process.parent.elf.sections.virtual_size",
        FieldType::Integer,
    ),
    ("process.parent.exit_code", FieldType::Integer),
    ("process.parent.group_leader.pid", FieldType::Integer),
    ("process.parent.group_leader.vpid", FieldType::Integer),
    ("process.parent.interactive", FieldType::Boolean),
    (
        "process.parent.macho.go_imports_names_entropy",
        FieldType::Integer,
    ),
    (
        "process.parent.macho.go_imports_names_var_entropy",
        FieldType::Integer,
    ),
    ("process.parent.macho.go_stripped", FieldType::Boolean),
    (
        "process.parent.macho.imports_names_entropy",
        FieldType::Integer,
    ),
    (
        "process.parent.macho.imports_names_var_entropy",
        FieldType::Integer,
    ),
    ("process.parent.macho.sections.entropy", FieldType::Integer),
    (
        "process.parent.macho.sections.physical_size",
        FieldType::Integer,
    ),
    (
        "process.parent.macho.sections.var_entropy",
        FieldType::Integer,
    ),
    (
        "process.parent.macho.sections.virtual_size",
        FieldType::Integer,
    ),
    (
        "process.parent.pe.go_imports_names_entropy",
        FieldType::Integer,
    ),
    (
        "process.parent.pe.go_imports_names_var_entropy",
        FieldType::Integer,
    ),
    ("process.parent.pe.go_stripped", FieldType::Boolean),
    (
        "process.parent.pe.imports_names_entropy",
        FieldType::Integer,
    ),
    (
        "process.parent.pe.imports_names_var_entropy",
        FieldType::Integer,
    ),
    ("process.parent.pe.sections.entropy", FieldType::Integer),
    (
        "process.parent.pe.sections.physical_size",
        FieldType::Integer,
    ),
    ("process.parent.pe.sections.var_entropy", FieldType::Integer),
    (
        "process.parent.pe.sections.virtual_size",
        FieldType::Integer,
    ),
    ("process.parent.pgid", FieldType::Integer),
    ("process.parent.pid", FieldType::Integer),
    ("process.parent.ppid", FieldType::Integer),
    (
        "process.parent.thread.Ext.call_stack_contains_unbacked",
        FieldType::Boolean,
    ),
    (
        "process.parent.thread.Ext.hardware_breakpoint_set",
        FieldType::Boolean,
    ),
    ("process.parent.thread.id", FieldType::Integer),
    ("process.parent.tty.char_device.major", FieldType::Integer),
    ("process.parent.tty.char_device.minor", FieldType::Integer),
    ("process.parent.uptime", FieldType::Integer),
    ("process.parent.vpid", FieldType::Integer),
    ("process.pe.go_imports_names_entropy", FieldType::Integer),
    (
        "process.pe.go_imports_names_var_entropy",
        FieldType::Integer,
    ),
    ("process.pe.go_stripped", FieldType::Boolean),
    ("process.pe.imports_names_entropy", FieldType::Integer),
    ("process.pe.imports_names_var_entropy", FieldType::Integer),
    ("process.pe.sections.entropy", FieldType::Integer),
    ("process.pe.sections.physical_size", FieldType::Integer),
    ("process.pe.sections.var_entropy", FieldType::Integer),
    ("process.pe.sections.virtual_size", FieldType::Integer),
    ("process.pgid", FieldType::Integer),
    ("process.pid", FieldType::Integer),
    ("process.ppid", FieldType::Integer),
    ("process.previous.args_count", FieldType::Integer),
    ("process.session_leader.args_count", FieldType::Integer),
    ("process.session_leader.interactive", FieldType::Boolean),
    ("process.session_leader.parent.pid", FieldType::Integer),
    (
        "process.session_leader.parent.session_leader.pid",
        FieldType::Integer,
    ),
    (
        "process.session_leader.parent.session_leader.vpid",
        FieldType::Integer,
    ),
    ("process.session_leader.parent.vpid", FieldType::Integer),
    ("process.session_leader.pid", FieldType::Integer),
    ("process.session_leader.same_as_process", FieldType::Boolean),
    (
        "process.session_leader.tty.char_device.major",
        FieldType::Integer,
    ),
    (
        "process.session_leader.tty.char_device.minor",
        FieldType::Integer,
    ),
    ("process.session_leader.vpid", FieldType::Integer),
    (
        "process.thread.Ext.call_stack_contains_unbacked",
        FieldType::Boolean,
    ),
    (
        "process.thread.Ext.call_stack_final_hook_module.code_signature.exists",
        FieldType::Boolean,
    ),
    (
        "process.thread.Ext.call_stack_final_hook_module.code_signature.trusted",
        FieldType::Boolean,
    ),
    (
        "process.thread.Ext.call_stack_final_user_module.code_signature.exists",
        FieldType::Boolean,
    ),
    (
        "process.thread.Ext.call_stack_final_user_module.code_signature.trusted",
        FieldType::Boolean,
    ),
    (
        "process.thread.Ext.call_stack_final_user_module.code_signature.valid",
        FieldType::Boolean,
    ),
    (
        "process.thread.Ext.hardware_breakpoint_set",
        FieldType::Boolean,
    ),
    (
        "process.thread.Ext.parameter_bytes_compressed_present",
        FieldType::Boolean,
    ),
    ("process.thread.Ext.token.elevation", FieldType::Boolean),
    (
        "process.thread.Ext.token.integrity_level",
        FieldType::Integer,
    ),
    (
        "process.thread.Ext.token.is_appcontainer",
        FieldType::Boolean,
    ),
    (
        "process.thread.Ext.token.privileges.enabled",
        FieldType::Boolean,
    ),
    ("process.thread.Ext.uptime", FieldType::Integer),
    ("process.thread.id", FieldType::Integer),
    ("process.tty.char_device.major", FieldType::Integer),
    ("process.tty.char_device.minor", FieldType::Integer),
    ("process.tty.columns", FieldType::Integer),
    ("process.tty.rows", FieldType::Integer),
    ("process.uptime", FieldType::Integer),
    ("process.vpid", FieldType::Integer),
    ("server.as.number", FieldType::Integer),
    ("server.bytes", FieldType::Integer),
    ("server.ip", FieldType::Ip),
    ("server.nat.ip", FieldType::Ip),
    ("server.nat.port", FieldType::Integer),
    ("server.packets", FieldType::Integer),
    ("server.port", FieldType::Integer),
    ("source.as.number", FieldType::Integer),
    ("source.bytes", FieldType::Integer),
    ("source.ip", FieldType::Ip),
    ("source.nat.ip", FieldType::Ip),
    ("source.nat.port", FieldType::Integer),
    ("source.packets", FieldType::Integer),
    ("source.port", FieldType::Integer),
    ("url.port", FieldType::Integer),
    ("user.changes.entity.attributes.managed", FieldType::Boolean),
    (
        "user.changes.entity.attributes.mfa_enabled",
        FieldType::Boolean,
    ),
    ("user.changes.risk.calculated_score", FieldType::Float),
    ("user.changes.risk.calculated_score_norm", FieldType::Float),
    ("user.changes.risk.static_score", FieldType::Float),
    ("user.changes.risk.static_score_norm", FieldType::Float),
    (
        "user.effective.entity.attributes.managed",
        FieldType::Boolean,
    ),
    (
        "user.effective.entity.attributes.mfa_enabled",
        FieldType::Boolean,
    ),
    ("user.effective.risk.calculated_score", FieldType::Float),
    (
        "user.effective.risk.calculated_score_norm",
        FieldType::Float,
    ),
    ("user.effective.risk.static_score", FieldType::Float),
    ("user.effective.risk.static_score_norm", FieldType::Float),
    ("user.entity.attributes.managed", FieldType::Boolean),
    ("user.entity.attributes.mfa_enabled", FieldType::Boolean),
    ("user.risk.calculated_score", FieldType::Float),
    ("user.risk.calculated_score_norm", FieldType::Float),
    ("user.risk.static_score", FieldType::Float),
    ("user.risk.static_score_norm", FieldType::Float),
    ("user.target.entity.attributes.managed", FieldType::Boolean),
    (
        "user.target.entity.attributes.mfa_enabled",
        FieldType::Boolean,
    ),
    ("user.target.risk.calculated_score", FieldType::Float),
    ("user.target.risk.calculated_score_norm", FieldType::Float),
    ("user.target.risk.static_score", FieldType::Float),
    ("user.target.risk.static_score_norm", FieldType::Float),
    ("winlog.process.pid", FieldType::Integer),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_known_fields_resolve() {
        assert!(ECS_TYPES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(ecs_type("process.args_count"), FieldType::Integer);
        assert_eq!(ecs_type("destination.ip"), FieldType::Ip);
        assert_eq!(ecs_type("process.args"), FieldType::Any);
        assert_eq!(ecs_type("user.id"), FieldType::Any);
    }

    #[test]
    fn scalars_index_as_the_mapping_coerces_them() {
        use FieldType::*;
        let cases: [(FieldType, Value<'_>, Option<Value<'_>>); 16] = [
            (Integer, Value::Float(4.5), Some(Value::Int(4))),
            (Integer, Value::Float(-4.5), Some(Value::Int(-4))),
            (Integer, Value::Float(1e300), None),
            (Integer, Value::Str(" 12 "), Some(Value::Int(12))),
            (Integer, Value::Str("5.7"), Some(Value::Int(5))),
            (Integer, Value::Str(""), Some(Value::Null)),
            (Integer, Value::Str("x"), None),
            (Integer, Value::Bool(true), None),
            (Float, Value::Str("2.5"), Some(Value::Float(2.5))),
            (Float, Value::Int(3), Some(Value::Int(3))),
            (Ip, Value::Str("10.0.0.1"), Some(Value::Str("10.0.0.1"))),
            (Ip, Value::Str("not an ip"), None),
            (Ip, Value::Int(1), None),
            (Boolean, Value::Str("false"), Some(Value::Str("false"))),
            (Boolean, Value::Str("yes"), None),
            (Any, Value::Str("x"), Some(Value::Str("x"))),
        ];
        for (ty, v, want) in cases {
            assert_eq!(index_scalar(ty, v), want, "{ty:?} {v:?}");
        }
    }

    #[test]
    fn documents_are_indexed_field_by_field() {
        let mut doc = serde_json::json!({
            "process": {"pid": 4.5, "args": ["1", "x"], "parent": {"pid": "7"}},
            "source.port": "",
            "destination": [{"ip": "10.0.0.1"}],
            "user": {"name": "u"}
        });
        index_document(&mut doc).unwrap();
        assert_eq!(
            doc,
            serde_json::json!({
                "process": {"pid": 4, "args": ["1", "x"], "parent": {"pid": 7}},
                "source.port": null,
                "destination": [{"ip": "10.0.0.1"}],
                "user": {"name": "u"}
            })
        );
        let mut bad = serde_json::json!({"source": {"ip": ["10.0.0.1", "nope"]}});
        assert_eq!(
            index_document(&mut bad),
            Err(Refused {
                path: "source.ip".into(),
                value: "\"nope\"".into(),
                ty: FieldType::Ip,
            })
        );
    }
}
