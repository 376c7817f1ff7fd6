//! Reading a chart back from its drawn coordinates: the polylines of one colour, and the axes'
//! tick labels fitted into a pixel ↔ value mapping, so tests check what a reader sees (where a
//! line is drawn) rather than what the code meant to draw.

use std::path::Path;

/// A linear map from a value to its pixel (and back), fitted on two tick labels.
#[derive(Clone, Copy, Debug)]
pub struct Axis {
    px0: f64,
    v0: f64,
    px_per_unit: f64,
}

impl Axis {
    fn fit(ticks: &[(f64, f64)]) -> Option<Axis> {
        let lo = ticks.iter().min_by(|a, b| a.0.total_cmp(&b.0))?;
        let hi = ticks.iter().max_by(|a, b| a.0.total_cmp(&b.0))?;
        (hi.0 > lo.0).then(|| Axis {
            px0: lo.1,
            v0: lo.0,
            px_per_unit: (hi.1 - lo.1) / (hi.0 - lo.0),
        })
    }

    pub fn value(&self, px: f64) -> f64 {
        self.v0 + (px - self.px0) / self.px_per_unit
    }

    pub fn px(&self, value: f64) -> f64 {
        self.px0 + (value - self.v0) * self.px_per_unit
    }
}

/// One chart's SVG text.
pub struct Chart {
    pub name: String,
    pub svg: String,
}

impl Chart {
    pub fn read(dir: &Path, name: &str) -> Chart {
        let svg = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        Chart {
            name: name.to_string(),
            svg,
        }
    }

    fn doc(&self) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(&self.svg).unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    /// Every `<text>`: (x, y, anchor, transform, content).
    pub fn texts(&self) -> Vec<(f64, f64, String, Option<String>, String)> {
        let doc = self.doc();
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| {
                let num = |a: &str| n.attribute(a).and_then(|v| v.parse().ok()).unwrap_or(0.0);
                (
                    num("x"),
                    num("y"),
                    n.attribute("text-anchor").unwrap_or("").to_string(),
                    n.attribute("transform").map(str::to_string),
                    n.text().unwrap_or("").trim().to_string(),
                )
            })
            .collect()
    }

    /// The plot's lines (stroke width 2) of `stroke` colour (`#4C78A8`), each a list of points.
    pub fn lines(&self, stroke: &str) -> Vec<Vec<(f64, f64)>> {
        let doc = self.doc();
        doc.descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .filter(|n| n.attribute("stroke") == Some(stroke) && n.attribute("stroke-width") == Some("2"))
            .map(|n| {
                n.attribute("points")
                    .unwrap_or("")
                    .split_whitespace()
                    .filter_map(|p| {
                        let (x, y) = p.split_once(',')?;
                        Some((x.parse().ok()?, y.parse().ok()?))
                    })
                    .collect()
            })
            .collect()
    }

    /// The top edge of the plot: where its vertical grid lines end.
    pub fn plot_top(&self) -> f64 {
        let doc = self.doc();
        doc.descendants()
            .filter(|n| n.has_tag_name("line"))
            .filter_map(|n| {
                let num = |a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok());
                let (x1, x2, y1, y2) = (num("x1")?, num("x2")?, num("y1")?, num("y2")?);
                ((x1 - x2).abs() < 0.5).then_some(y1.min(y2))
            })
            .fold(f64::MAX, f64::min)
    }

    /// The y axis, from its numeric tick labels (right-aligned, left of the plot).
    pub fn y_axis(&self) -> Axis {
        let ticks: Vec<(f64, f64)> = self
            .texts()
            .into_iter()
            .filter(|(_, _, anchor, transform, _)| anchor == "end" && transform.is_none())
            .filter_map(|(_, y, _, _, text)| Some((text.parse::<f64>().ok()?, y)))
            .collect();
        Axis::fit(&ticks).unwrap_or_else(|| panic!("{}: no y tick labels", self.name))
    }

    /// The x axis, from its numeric tick labels (centred under the plot).
    pub fn x_axis(&self) -> Axis {
        let ticks: Vec<(f64, f64)> = self
            .texts()
            .into_iter()
            .filter(|(_, _, anchor, transform, _)| anchor == "middle" && transform.is_none())
            .filter_map(|(x, _, _, _, text)| Some((text.parse::<f64>().ok()?, x)))
            .collect();
        Axis::fit(&ticks).unwrap_or_else(|| panic!("{}: no numeric x tick labels", self.name))
    }

    /// The axis descriptions (text turned on its side), as their x positions.
    pub fn y_axis_titles(&self) -> Vec<f64> {
        self.texts()
            .into_iter()
            .filter(|(_, _, _, transform, _)| transform.as_deref().is_some_and(|t| t.starts_with("rotate")))
            .map(|(x, ..)| x)
            .collect()
    }
}

/// Renders `svg` to a PNG with resvg (no fonts are loaded: the picture is the chart's geometry) and
/// returns its pixels; saves it under `STRESS_ACTION_PNG_DIR` when that is set.
pub fn render_png(name: &str, svg: &str) -> resvg::tiny_skia::Pixmap {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default())
        .unwrap_or_else(|e| panic!("{name} does not render: {e}"));
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).expect("pixmap");
    resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
    if let Some(out) = std::env::var_os("STRESS_ACTION_PNG_DIR") {
        pixmap
            .save_png(Path::new(&out).join(name.replace(".svg", ".png")))
            .unwrap();
    }
    pixmap
}
