//! The demo's plot with `plotters`: four stacked panels over the days (SOL
//! price; the borrowers' aggregate Maintenance health; the twins' health ratios
//! against the protection threshold and the liquidation line; liquidations and
//! deleverage steps per day), each with axes, ticks, units and a legend. The
//! same drawing goes to an SVG string and to a PNG file. Text uses the DejaVu
//! Sans subset embedded from `ops/assets` (no system fonts needed).

use std::{error::Error, path::Path, sync::OnceLock};

use plotters::{
    coord::{types::RangedCoordf64, Shift},
    prelude::*,
};

use super::{Day, TWIN_PROTECTION};

/// Plot size, pixels.
const SIZE: (u32, u32) = (960, 1200);

const FONT: &str = "sans-serif";

const SOL: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
const HEALTH: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
const PROTECTED: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
const UNPROTECTED: RGBColor = RGBColor(0xd6, 0x27, 0x28);
const THRESHOLD: RGBColor = RGBColor(0xff, 0x7f, 0x0e);
const GREY: RGBColor = RGBColor(0x7f, 0x7f, 0x7f);

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Registers the embedded font as plotters' "sans-serif" (once per process).
fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED.get_or_init(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/DejaVuSans-subset.ttf");
        plotters::style::register_font(FONT, FontStyle::Normal, bytes).is_ok()
    });
    if registered {
        Ok(())
    } else {
        Err("the embedded font (ops/assets/DejaVuSans-subset.ttf) does not parse".into())
    }
}

/// The plot as an SVG document.
pub fn plot_svg(timeline: &[Day]) -> Result<String> {
    register_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw(&root, timeline)?;
        root.present()?;
    }
    Ok(svg)
}

/// The plot as a PNG file at `path`.
pub fn plot_png(timeline: &[Day], path: &Path) -> Result<()> {
    register_font()?;
    let mut rgb = vec![0u8; SIZE.0 as usize * SIZE.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        draw(&root, timeline)?;
        root.present()?;
    }
    std::fs::write(path, png(&rgb, SIZE)?)?;
    Ok(())
}

/// An 8-bit RGB PNG of `rgb` (rows top to bottom): signature, IHDR, one zlib
/// IDAT of the rows (filter type 0 each), IEND (PNG spec, ISO/IEC 15948).
fn png(rgb: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> Result<()> {
        out.extend_from_slice(&u32::try_from(data.len())?.to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
        Ok(())
    }
    let row = width as usize * 3;
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    for line in rgb.chunks(row) {
        zlib.write_all(&[0])?;
        zlib.write_all(line)?;
    }
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header)?;
    chunk(&mut out, b"IDAT", &zlib.finish()?)?;
    chunk(&mut out, b"IEND", &[])?;
    Ok(out)
}

/// `(low, high)` covering `values` with 5% headroom (and zero when `with_zero`).
fn range(values: impl Iterator<Item = f64>, with_zero: bool) -> (f64, f64) {
    let (low, high) = values.fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v), h.max(v)));
    let (low, high) = if with_zero { (low.min(0.0), high.max(0.0)) } else { (low, high) };
    if low > high {
        return (0.0, 1.0);
    }
    let pad = ((high - low) * 0.05).max(1e-9);
    (low - pad, high + pad)
}

/// The day axis and a value axis shared by every panel.
struct Axes<'a> {
    days: std::ops::Range<f64>,
    values: std::ops::Range<f64>,
    /// What the values are, with their unit.
    unit: &'a str,
    /// Decimals of the value labels.
    decimals: usize,
    /// Most value labels (plotters draws 11 unless told).
    labels: usize,
}

/// A panel of the figure: its caption, the axes with ticks and units, the mesh.
fn panel<'a, DB: DrawingBackend + 'a>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    axes: Axes<'_>,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 16))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(70)
        .build_cartesian_2d(axes.days, axes.values)?;
    chart
        .configure_mesh()
        .x_desc("day")
        .y_desc(axes.unit)
        .y_labels(axes.labels)
        .label_style((FONT, 13))
        .y_label_formatter(&|v| format!("{v:.*}", axes.decimals))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    Ok(chart)
}

/// Draws the chart's legend at `position`.
fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    position: SeriesLabelPosition,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// A legend marker: a short line in `style`.
fn line_marker(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, timeline: &[Day]) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let root = root.titled("margin demo: a month of interest, then a SOL crash", (FONT, 22))?;
    let panels = root.split_evenly((4, 1));
    let days = timeline.last().map_or(1.0, |d| d.day).max(1.0);
    let axes = |values: std::ops::Range<f64>, unit, decimals| Axes {
        days: 0.0..days + 1.0,
        values,
        unit,
        decimals,
        labels: 11,
    };

    // 1. SOL price.
    let (low, high) = range(timeline.iter().map(|d| d.sol_usd), true);
    let mut chart = panel(&panels[0], "SOL price", axes(low..high, "USD", 0))?;
    let style = SOL.stroke_width(2);
    chart
        .draw_series(LineSeries::new(timeline.iter().map(|d| (d.day, d.sol_usd)), style))?
        .label("SOL / USD (Pyth pull feed)")
        .legend(line_marker(style));
    legend(&mut chart, SeriesLabelPosition::LowerLeft)?;

    // 2. Aggregate Maintenance health of the borrowers.
    let (low, high) = range(timeline.iter().map(|d| d.aggregate_health_usd / 1_000.0), true);
    let mut chart = panel(&panels[1], "Borrowers' aggregate Maintenance health", axes(low..high, "thousand USD", 0))?;
    let style = HEALTH.stroke_width(2);
    chart
        .draw_series(LineSeries::new(timeline.iter().map(|d| (d.day, d.aggregate_health_usd / 1_000.0)), style))?
        .label("sum of Maintenance health (weighted collateral - weighted debt)")
        .legend(line_marker(style));
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (days + 1.0, 0.0)], GREY.stroke_width(1)))?
        .label("0: liquidatable")
        .legend(line_marker(GREY.stroke_width(1)));
    legend(&mut chart, SeriesLabelPosition::LowerLeft)?;

    // 3. The twins' health ratios.
    let threshold = TWIN_PROTECTION.threshold_bps as f64 / 10_000.0;
    let ratios = timeline.iter().flat_map(|d| d.twin_ratios.iter().flatten().copied());
    let (low, high) = range(ratios.chain([threshold, 1.0]), false);
    let ratio_axis = axes(low.clamp(0.0, 0.8)..high.min(4.0), "weighted collateral / debt", 2);
    let mut chart = panel(&panels[2], "Twin borrowers: Maintenance health ratio", ratio_axis)?;
    for (i, (name, color)) in [("protected twin", PROTECTED), ("unprotected twin", UNPROTECTED)].into_iter().enumerate()
    {
        let style = color.stroke_width(2);
        let points = timeline.iter().filter_map(|d| d.twin_ratios[i].map(|r| (d.day, r)));
        chart.draw_series(LineSeries::new(points, style))?.label(name).legend(line_marker(style));
    }
    let style = THRESHOLD.stroke_width(1);
    chart
        .draw_series(DashedLineSeries::new([(0.0, threshold), (days + 1.0, threshold)], 6, 4, style))?
        .label(format!("protection threshold {threshold:.2}"))
        .legend(line_marker(style));
    let style = GREY.stroke_width(1);
    chart
        .draw_series(DashedLineSeries::new([(0.0, 1.0), (days + 1.0, 1.0)], 6, 4, style))?
        .label("1.00: liquidation line")
        .legend(line_marker(style));
    legend(&mut chart, SeriesLabelPosition::LowerLeft)?;

    // 4. Liquidations and deleverage steps per day.
    let most = timeline.iter().map(|d| d.liquidations.max(d.deleverage_steps)).max().unwrap_or(0).max(1);
    let count_axis = Axes { labels: most + 2, ..axes(0.0..most as f64 * 1.15, "per day", 0) };
    let mut chart = panel(&panels[3], "Liquidations and deleverage steps", count_axis)?;
    let bars = |offset: f64, count: fn(&Day) -> usize, color: RGBColor| {
        timeline.iter().filter(move |d| count(d) > 0).map(move |d| {
            Rectangle::new([(d.day + offset, 0.0), (d.day + offset + 0.4, count(d) as f64)], color.filled())
        })
    };
    chart
        .draw_series(bars(-0.4, |d| d.liquidations, UNPROTECTED))?
        .label("liquidations")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], UNPROTECTED.filled()));
    chart
        .draw_series(bars(0.0, |d| d.deleverage_steps, PROTECTED))?
        .label("deleverage steps (keeper)")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], PROTECTED.filled()));
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    Ok(())
}
