use super::*;

fn redact(r: &Redactor, text: &str) -> (String, Counts) {
    let mut counts = Counts::new();
    let out = r.text(text, &mut counts);
    (out, counts)
}

fn counts(pairs: &[(&str, u64)]) -> Counts {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn every_kind_is_replaced_and_counted_and_the_rest_is_kept() {
    let r = Redactor::new([
        ("GITHUB_TOKEN".to_string(), "plain-value-of-the-token".to_string()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), "testing".to_string()),
    ]);
    let input = "\
token plain-value-of-the-token in a log
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
curl -H 'Authorization: Bearer abc.def-ghi_jkl' with ghs_0123456789abcdefABCDEF and testing
-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF
-----END RSA PRIVATE KEY----- after the key
the end, sha 0123456789abcdef0123456789abcdef01234567
";
    let (out, found) = redact(&r, input);
    let expected = "\
token [REDACTED:$GITHUB_TOKEN] in a log
export AWS_ACCESS_KEY_ID=[REDACTED:aws-access-key-id]
export AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret-access-key]
curl -H 'Authorization: Bearer [REDACTED:bearer-token]' with [REDACTED:github-token] and testing
[REDACTED:private-key]
 after the key
the end, sha 0123456789abcdef0123456789abcdef01234567
";
    assert_eq!(out, expected);
    assert_eq!(
        found,
        counts(&[
            ("$GITHUB_TOKEN", 1),
            ("aws-access-key-id", 1),
            ("aws-secret-access-key", 1),
            ("bearer-token", 1),
            ("github-token", 1),
            ("private-key", 1),
        ])
    );
    let clean = "nothing to see: AKIA, ghp_x, Bearer token, 40 hex 0123456789abcdef0123456789abcdef01234567\n";
    assert_eq!(redact(&r, clean), (clean.to_string(), Counts::new()));
}

#[test]
fn a_json_line_stays_valid_json() {
    let r = Redactor::default();
    let line = serde_json::json!({
        "detail": "stderr: -----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
        "open": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\"quoted",
        "aws": "AccessKeyId ASIAY34FZKBOKMUTVV7A\nSecretAccessKey wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "gh": "token github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "auth": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.signature",
    })
    .to_string();
    let (out, found) = redact(&r, &format!("{line}\n"));
    let parsed: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(parsed["detail"], "stderr: [REDACTED:private-key]\n");
    assert_eq!(parsed["open"], "[REDACTED:private-key]\"quoted");
    assert_eq!(
        parsed["aws"],
        "AccessKeyId [REDACTED:aws-access-key-id]\nSecretAccessKey [REDACTED:aws-secret-access-key]"
    );
    assert_eq!(parsed["gh"], "token [REDACTED:github-token]");
    assert_eq!(parsed["auth"], "Bearer [REDACTED:bearer-token]");
    assert_eq!(found.values().sum::<u64>(), 6, "{found:?}");
}

#[test]
fn a_long_line_is_scanned_in_pieces_without_losing_a_token() {
    let r = Redactor::default();
    let token = format!("ghp_{}", "Z9".repeat(18));
    let filler = "word ".repeat(MAX_SEGMENT / 5 + 100);
    let text = format!("{filler}{token} {filler}{token}");
    let (out, found) = redact(&r, &text);
    assert!(!out.contains(&token));
    assert_eq!(found, counts(&[("github-token", 2)]));
    assert_eq!(
        out.len(),
        text.len() - 2 * (token.len() - "[REDACTED:github-token]".len())
    );
}

#[test]
fn short_and_empty_values_are_not_searched() {
    let r = Redactor::new([
        ("A".to_string(), String::new()),
        ("B".to_string(), "short".to_string()),
        ("C".to_string(), "long-enough-value".to_string()),
    ]);
    let (out, found) = redact(&r, "short long-enough-value");
    assert_eq!(out, "short [REDACTED:$C]");
    assert_eq!(found, counts(&[("$C", 1)]));
}
