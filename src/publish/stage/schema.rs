//! report.json checked against `schema/report.schema.json` before anything is rendered from it. In
//! the fork-PR recipe the file comes from the fork: serde alone would accept a report whose fields
//! have the right types but impossible shapes (an unknown verdict, a negative count, a date that is
//! no date), and the renderers trust the model's invariants. A report that does not match is bad
//! input (exit 2), and the message names the fields.

use serde_json::Value;

/// Compiled into the binary, so a release checks what it was built to write.
const SCHEMA: &str = include_str!("../../../schema/report.schema.json");
const SCHEMA_URL: &str = "file:///report.schema.json";
/// Enough to fix the first mistakes; the rest are counted.
const MAX_FIELDS_NAMED: usize = 5;

/// `Err` holds one line per failing field, `field.path: what is wrong`.
pub fn validate(report: &Value) -> Result<(), Vec<String>> {
    let schema: Value =
        serde_json::from_str(SCHEMA).map_err(|e| vec![format!("the built-in schema is not JSON: {e}")])?;
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    let mut schemas = boon::Schemas::new();
    let compile_error = |e: boon::CompileError| vec![format!("the built-in schema does not compile: {e}")];
    compiler.add_resource(SCHEMA_URL, schema).map_err(compile_error)?;
    let index = compiler.compile(SCHEMA_URL, &mut schemas).map_err(compile_error)?;
    let Err(error) = schemas.validate(report, index) else {
        return Ok(());
    };
    let mut leaves = Vec::new();
    collect_leaves(&error, &mut leaves);
    let total = leaves.len();
    let mut lines: Vec<String> = leaves
        .into_iter()
        .take(MAX_FIELDS_NAMED)
        .map(|e| format!("{}: {}", field_name(&e.instance_location), e.kind))
        .collect();
    if total > MAX_FIELDS_NAMED {
        lines.push(format!("and {} more", total - MAX_FIELDS_NAMED));
    }
    Err(lines)
}

/// The errors that say what is wrong (boon nests them under "validation failed" groups).
fn collect_leaves<'a, 's, 'v>(e: &'a boon::ValidationError<'s, 'v>, out: &mut Vec<&'a boon::ValidationError<'s, 'v>>) {
    if e.causes.is_empty() {
        out.push(e);
    }
    for cause in &e.causes {
        collect_leaves(cause, out);
    }
}

/// `totals.planned`, `verdict_reasons[0]`, or `(top level)`.
fn field_name(location: &boon::InstanceLocation<'_>) -> String {
    let mut name = String::new();
    for token in &location.tokens {
        match token {
            boon::InstanceToken::Prop(p) => {
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(p);
            }
            boon::InstanceToken::Item(i) => name.push_str(&format!("[{i}]")),
        }
    }
    if name.is_empty() {
        "(top level)".to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_field_is_named_and_a_good_report_passes() {
        let text = include_str!("../../../tests/fixtures/report-full.json");
        let mut report: Value = serde_json::from_str(text).unwrap();
        assert_eq!(validate(&report), Ok(()));
        report["totals"]["planned"] = Value::from("many");
        report["verdict"] = Value::from("great");
        report.as_object_mut().unwrap().remove("profile");
        let lines = validate(&report).unwrap_err();
        let all = lines.join("\n");
        assert!(all.contains("totals.planned: want integer"), "{all}");
        assert!(all.contains("verdict: value must be one of"), "{all}");
        assert!(all.contains("(top level): missing properties 'profile'"), "{all}");
    }
}
