use super::*;

fn ok(text: &str) -> Threshold {
    parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn err(text: &str) -> String {
    let e = parse(text).expect_err(text);
    assert_eq!(e.field, "--threshold");
    e.to_string()
}

#[test]
fn every_operator_parses_with_or_without_spaces() {
    for (text, op) in [
        ("lifecycle.burst.tti.p95 < 2s", Op::Lt),
        ("lifecycle.burst.tti.p95<=2s", Op::Le),
        ("lifecycle.burst.tti.p95 >2s", Op::Gt),
        ("  lifecycle.burst.tti.p95>= 2s ", Op::Ge),
    ] {
        let t = ok(text);
        assert_eq!(t.op, op, "{text}");
        assert_eq!(t.metric_name, "lifecycle.burst.tti.p95");
        assert_eq!(t.limit, 2000.0, "{text}");
        assert_eq!(t.expr, text.trim(), "kept as written");
    }
    assert!(Op::Lt.holds(1.0, 2.0) && !Op::Lt.holds(2.0, 2.0));
    assert!(Op::Le.holds(2.0, 2.0) && !Op::Le.holds(2.1, 2.0));
    assert!(Op::Gt.holds(3.0, 2.0) && !Op::Gt.holds(2.0, 2.0));
    assert!(Op::Ge.holds(2.0, 2.0) && !Op::Ge.holds(1.9, 2.0));
}

#[test]
fn every_unit_converts_to_the_metric_canonical_unit() {
    let cases = [
        ("checkpoint.restore.p99 < 250ms", 250.0, Unit::Ms),
        ("checkpoint.restore.p99 < 1.5s", 1500.0, Unit::S),
        ("checkpoint.restore.p99 < 1.5 s", 1500.0, Unit::S),
        ("retries.create.rate < 5%", 0.05, Unit::Percent),
        ("retries.create.rate < 0.05", 0.05, Unit::Bare),
        ("storage.upload.mbps > 50MB/s", 50.0, Unit::MbPerS),
        ("storage.download.mbps >= 12.5", 12.5, Unit::Bare),
        ("lifecycle.leaked <= 0", 0.0, Unit::Bare),
    ];
    for (text, limit, unit) in cases {
        let t = ok(text);
        assert!((t.limit - limit).abs() < 1e-12, "{text}: {}", t.limit);
        assert_eq!(t.unit, unit, "{text}");
    }
    // Five percent and 0.05 are the same limit.
    assert_eq!(
        ok("lifecycle.sequential.success_rate >= 95%").limit,
        ok("lifecycle.sequential.success_rate >= 0.95").limit
    );
}

#[test]
fn bad_syntax_is_an_error_naming_the_expression() {
    for (text, says) in [
        ("lifecycle.burst.tti.p95 2s", "has no operator"),
        ("lifecycle.burst.tti.p95 == 2s", "unknown operator \"==\""),
        ("lifecycle.burst.tti.p95 => 2s", "unknown operator \"=>\""),
        ("lifecycle.burst.tti.p95 != 2s", "unknown operator \"!=\""),
        ("lifecycle.burst.tti.p95 <", "has no value"),
        ("lifecycle.burst.tti.p95 < fast", "has no number"),
        ("lifecycle.burst.tti.p95 < -1ms", "negative"),
        ("lifecycle.burst.tti.p95 < 1.2.3ms", "is not a number"),
        ("< 2s", "the metric being one dotted name"),
        ("lifecycle burst < 2s", "the metric being one dotted name"),
    ] {
        let e = err(text);
        assert!(e.contains(says), "{text}: {e}");
        assert!(e.starts_with("invalid --threshold: "), "{e}");
    }
}

#[test]
fn an_unknown_metric_names_it_suggests_the_closest_and_lists_the_forms() {
    let e = err("lifecycle.bust.tti.p95 < 2s");
    assert!(
        e.starts_with(
            "invalid --threshold: unknown metric \"lifecycle.bust.tti.p95\" (did you mean lifecycle.burst.tti.p95?)"
        ),
        "{e}"
    );
    assert!(e.contains("retries.<create|"), "lists the valid forms: {e}");
    let e = err("cpu.usage < 5%");
    assert!(e.contains("unknown metric \"cpu.usage\"; valid metrics:"), "{e}");
}

#[test]
fn an_unknown_or_misfit_unit_is_an_error_naming_it() {
    for (text, says) in [
        ("lifecycle.burst.tti.p95 < 2min", "unknown unit \"min\""),
        (
            "lifecycle.burst.tti.p95 < 2",
            "no unit does not fit lifecycle.burst.tti.p95, a latency",
        ),
        ("lifecycle.burst.tti.p95 < 2%", "unit \"%\" does not fit"),
        (
            "retries.create.rate < 5ms",
            "unit \"ms\" does not fit retries.create.rate, a rate",
        ),
        ("retries.create.rate < 5", "write 5% for a percent"),
        ("retries.create.rate < 101%", "at most 100%"),
        ("storage.upload.mbps > 5s", "a throughput in MB/s"),
        ("storage.leaked < 1%", "a count"),
    ] {
        let e = err(text);
        assert!(e.contains(says), "{text}: {e}");
    }
}

#[test]
fn parse_all_stops_at_the_first_bad_expression() {
    let exprs = vec![
        "checkpoint.verify.p50 < 1s".to_string(),
        "checkpoint.verfy.p50 < 1s".to_string(),
    ];
    let e = parse_all(&exprs).unwrap_err().to_string();
    assert!(e.contains("did you mean checkpoint.verify.p50?"), "{e}");
    assert_eq!(parse_all(&exprs[..1]).unwrap().len(), 1);
}
