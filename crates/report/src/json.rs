//! The report JSON (`sloe.report/v1`), pretty-printed.

use sloe_core::report::Report;

/// Renders the report as pretty JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    let report = &*crate::display::rounded(report);
    // Serializing plain structs of strings and numbers cannot fail; a
    // non-finite number becomes `null`.
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn field_names_are_the_contract() {
        let report = crate::sample::sample_report();
        let v: serde_json::Value =
            serde_json::from_str(&super::render(&report)).expect("valid json");
        assert_eq!(v["schema"], "sloe.report/v1");
        for key in [
            "timestamp",
            "commit",
            "branch",
            "testbed",
            "environment",
            "sloe_version",
            "false_alarm_control",
        ] {
            assert!(v["metadata"].get(key).is_some(), "metadata.{key}");
        }
        for key in [
            "status",
            "total",
            "passed",
            "drift",
            "violations",
            "regressions",
            "improvements",
            "known",
            "compliance",
        ] {
            assert!(v["summary"].get(key).is_some(), "summary.{key}");
        }
        for key in [
            "benchmark",
            "measure",
            "unit",
            "statistic",
            "value",
            "limit",
            "percent_of_budget",
            "status",
            "severity",
            "baseline",
            "change",
            "change_interval",
            "p_value",
            "adjusted_p_value",
            "min_detectable_change",
            "regression",
            "message",
        ] {
            assert!(v["results"][0].get(key).is_some(), "results[].{key}");
        }
        for key in ["benchmark", "measure", "kind", "severity", "message"] {
            assert!(v["violations"][0].get(key).is_some(), "violations[].{key}");
        }
        assert!(v["recommendations"].is_array());
        insta::assert_snapshot!(super::render(&report));
    }
}
