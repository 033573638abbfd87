//! Shared by the crates' bench binaries (included with `#[path]`): with
//! SLOE_RESULTS_DIR set, a bench also writes its figures as sloe results
//! JSON (`<dir>/<name>.json`, wall_time in ms per benchmark), so that
//! `.ci/run` can gate sloe's own benchmarks through sloe.

/// Writes `results` (benchmark name, times in ms) when SLOE_RESULTS_DIR is set.
pub fn emit_results(name: &str, results: &[(String, Vec<f64>)]) {
    let Some(dir) = std::env::var_os("SLOE_RESULTS_DIR") else {
        return;
    };
    let results: Vec<serde_json::Value> = results
        .iter()
        .map(|(b, ms)| serde_json::json!({"benchmark": b, "measure": "wall_time", "unit": "ms", "values": ms}))
        .collect();
    let path = std::path::Path::new(&dir).join(format!("{name}.json"));
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, serde_json::json!({"results": results}).to_string()));
    if let Err(e) = written {
        eprintln!("error: failed to write {}: {e}", path.display());
        std::process::exit(2);
    }
}
