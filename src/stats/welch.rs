//! Welch's unequal-variance t-test between two short series (segments of a history), the test
//! Hunter uses to confirm a change point found by E-divisive means.

use super::special::student_t_two_sided;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WelchTest {
    pub mean_before: f64,
    pub mean_after: f64,
    pub p_value: f64,
}

/// `None` when a side has fewer than two values.
pub fn welch_t_test(before: &[f64], after: &[f64]) -> Option<WelchTest> {
    if before.len() < 2 || after.len() < 2 {
        return None;
    }
    let (m1, v1) = mean_var(before);
    let (m2, v2) = mean_var(after);
    let (n1, n2) = (before.len() as f64, after.len() as f64);
    let (s1, s2) = (v1 / n1, v2 / n2);
    let se2 = s1 + s2;
    let p_value = if se2 == 0.0 {
        // Two constant segments: the same level, or a step no noise can explain.
        if m1 == m2 {
            1.0
        } else {
            0.0
        }
    } else {
        let t = (m2 - m1) / se2.sqrt();
        let df = se2 * se2 / (s1 * s1 / (n1 - 1.0) + s2 * s2 / (n2 - 1.0));
        student_t_two_sided(t, df)
    };
    Some(WelchTest {
        mean_before: m1,
        mean_after: m2,
        p_value,
    })
}

/// Mean and sample variance (n − 1).
fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_worked_example() {
        // Wikipedia, "Welch's t-test", example 1: t ≈ 2.46, df ≈ 24.99, p ≈ 0.021 (two-sided).
        let a = [
            27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4,
        ];
        let b = [
            27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4,
        ];
        let t = welch_t_test(&a, &b).unwrap();
        assert!((t.p_value - 0.021).abs() < 0.001, "{t:?}");
    }

    #[test]
    fn constant_segments() {
        assert_eq!(welch_t_test(&[1.0, 1.0], &[1.0, 1.0]).unwrap().p_value, 1.0);
        assert_eq!(welch_t_test(&[1.0, 1.0], &[2.0, 2.0]).unwrap().p_value, 0.0);
        assert!(welch_t_test(&[1.0], &[2.0, 2.0]).is_none());
    }
}
