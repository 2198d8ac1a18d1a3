//! `calogen merge OUT SHARD...`: joins the files of `calogen generate --shard i/n` into the file
//! the single run would have written. The shards are checked to belong together (one model, one
//! seed, one n, the same conditions, every shard present once, contiguous ranges), then shard 0 is
//! copied to OUT's temporary and every dataset is extended with the others' rows, at the HDF5
//! level: values are copied, never converted (a read through the MeV reader and a write back to
//! GeV would round), so the result equals the single run's file dataset by dataset.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use calogen_data::atomic::AtomicFile;
use calogen_data::formats::h5util;
use calogen_data::{hdf5, PointLayout};
use hdf5::types::{FloatSize, IntSize, TypeDescriptor, VarLenUnicode};
use hdf5::{Hyperslab, SliceOrIndex};
use ndarray::{ArrayD, Dimension, IxDyn};

use super::shard::{ATTR_MODEL, ATTR_RANGE, ATTR_SEED, ATTR_SHARD, ATTR_TOTAL};

/// Join the shard files of `calogen generate --shard i/n` into one file.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  \
    for i in 0 1 2; do calogen generate --energy 10GeV..90GeV --n 3000 --seed 7 --shard $i/3 --out part$i.h5; done\n  \
    calogen merge showers.h5 part0.h5 part1.h5 part2.h5\n\
    The result equals `calogen generate --energy 10GeV..90GeV --n 3000 --seed 7 --out showers.h5`\n\
    dataset by dataset. The shards may be given in any order; they must all be there, once, made\n\
    with the same model, seed, conditions and shard count (with --format both, merge the points\n\
    files and the _cells files separately).")]
pub struct Args {
    /// The merged file (written atomically: the old file, if any, stays until the new one is
    /// complete).
    pub out: PathBuf,
    /// The shard files, in any order.
    #[arg(required = true, num_args = 1..)]
    pub shards: Vec<PathBuf>,
}

/// A file-level attribute, compared between shards.
#[derive(Debug, Clone, PartialEq)]
enum Attr {
    Bool(Vec<bool>),
    F64(Vec<f64>),
    U64(Vec<u64>),
    Text(String),
    Other(String),
}

fn read_attr(f: &hdf5::File, name: &str) -> Result<Attr> {
    let a = f.attr(name)?;
    let t = a.dtype()?.to_descriptor()?;
    Ok(match t {
        TypeDescriptor::Boolean => Attr::Bool(a.read_raw()?),
        TypeDescriptor::Float(FloatSize::U8) => Attr::F64(a.read_raw()?),
        TypeDescriptor::Unsigned(IntSize::U8) => Attr::U64(a.read_raw()?),
        TypeDescriptor::VarLenUnicode => Attr::Text(a.read_scalar::<VarLenUnicode>()?.to_string()),
        other => Attr::Other(format!("{other}")),
    })
}

/// One shard file: its attributes and where it sits in the run.
struct ShardFile {
    path: PathBuf,
    file: hdf5::File,
    attrs: BTreeMap<String, Attr>,
    index: u64,
    count: u64,
    range: (u64, u64),
    total: u64,
}

fn u64s(path: &Path, attrs: &BTreeMap<String, Attr>, name: &str, len: usize) -> Result<Vec<u64>> {
    match attrs.get(name) {
        Some(Attr::U64(v)) if v.len() == len => Ok(v.clone()),
        Some(other) => bail!(
            "{}: attribute {name} is {other:?}, expected {len} unsigned integer(s)",
            path.display()
        ),
        None => bail!(
            "{}: not a shard file (no attribute {name}; shards are made by `calogen generate --shard i/n`)",
            path.display()
        ),
    }
}

fn open_shard(path: &Path) -> Result<ShardFile> {
    let file = h5util::open_file(path)?;
    let mut attrs = BTreeMap::new();
    for name in file.attr_names()? {
        let v = read_attr(&file, &name)
            .with_context(|| format!("{}: attribute {name}", path.display()))?;
        attrs.insert(name, v);
    }
    let shard = u64s(path, &attrs, ATTR_SHARD, 2)?;
    let range = u64s(path, &attrs, ATTR_RANGE, 2)?;
    let total = u64s(path, &attrs, ATTR_TOTAL, 1)?[0];
    Ok(ShardFile {
        path: path.to_path_buf(),
        file,
        attrs,
        index: shard[0],
        count: shard[1],
        range: (range[0], range[1]),
        total,
    })
}

/// The shards sorted by index, or an error saying why they do not form one run.
fn check_together(mut shards: Vec<ShardFile>) -> Result<Vec<ShardFile>> {
    let first = &shards[0];
    let (n, total) = (first.count, first.total);
    let show = |s: &ShardFile| s.path.display().to_string();
    for s in &shards[1..] {
        for name in [ATTR_MODEL, ATTR_SEED] {
            if s.attrs.get(name) != first.attrs.get(name) {
                bail!(
                    "{} and {} come from different runs: {name} is {:?} in one and {:?} in the other",
                    show(first),
                    show(s),
                    first.attrs.get(name),
                    s.attrs.get(name)
                );
            }
        }
        if (s.count, s.total) != (n, total) {
            bail!(
                "{} is shard {}/{} of {} showers but {} is shard {}/{} of {}: not one run",
                show(first),
                first.index,
                n,
                total,
                show(s),
                s.index,
                s.count,
                s.total
            );
        }
        // Every other attribute records the conditions (asked ranges, trained range,
        // extrapolation, layout): a run has one set of them.
        for (name, v) in &s.attrs {
            if [ATTR_SHARD, ATTR_RANGE].contains(&name.as_str()) {
                continue;
            }
            if first.attrs.get(name) != Some(v) {
                bail!(
                    "{} and {} differ in attribute {name} ({:?} vs {v:?}): not one run",
                    show(first),
                    show(s),
                    first.attrs.get(name)
                );
            }
        }
        if s.attrs.len() != first.attrs.len() {
            bail!(
                "{} and {} carry different attributes: not one run",
                show(first),
                show(s)
            );
        }
    }
    shards.sort_by_key(|s| s.index);
    for w in shards.windows(2) {
        if w[0].index == w[1].index {
            bail!(
                "{} and {} are both shard {}/{n}",
                show(&w[0]),
                show(&w[1]),
                w[0].index
            );
        }
    }
    let missing: Vec<String> = (0..n)
        .filter(|i| !shards.iter().any(|s| s.index == *i))
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "shard(s) {} missing (given {} of {n}); run `calogen generate --shard` for them",
            missing.join(", "),
            shards.len()
        );
    }
    let mut next = 0;
    for s in &shards {
        if s.range.0 != next || s.range.1 < s.range.0 {
            bail!(
                "{}: shard {}/{n} covers showers {}..{}, expected to start at {next}",
                show(s),
                s.index,
                s.range.0,
                s.range.1
            );
        }
        next = s.range.1;
    }
    if next != total {
        bail!("the shards cover {next} of {total} showers");
    }
    Ok(shards)
}

/// Every dataset below `g`, with its path (`cells/offsets`).
fn datasets(g: &hdf5::Group, prefix: &str, out: &mut Vec<String>) -> Result<()> {
    for name in g.member_names()? {
        let path = format!("{prefix}{name}");
        if let Ok(sub) = g.group(&name) {
            datasets(&sub, &format!("{path}/"), out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// How a dataset's shards are joined.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Join {
    /// Rows appended along `axis`.
    Append { axis: usize },
    /// Cumulative offsets: later shards shifted by the entries before them, their leading 0 dropped.
    Offsets,
    /// Padded point rows (`events`): widened to the widest shard, the points kept at the side
    /// the layout puts them.
    Padded { point_axis: usize, front: bool },
}

fn join_of(name: &str, shape: &[usize], layout: Option<&PointLayout>) -> Join {
    use calogen_data::formats::layout::{Axes, Padding};
    match name {
        // [3, N]: CaloClouds3's orientation of the incident directions.
        "p_norm_local" if shape.len() == 2 && shape[0] == 3 => Join::Append { axis: 1 },
        "cells/offsets" => Join::Offsets,
        "events" if shape.len() == 3 && layout.is_some() => {
            let l = layout.expect("checked");
            Join::Padded {
                point_axis: match l.axes {
                    Axes::FeaturesPoints => 2,
                    Axes::PointsFeatures => 1,
                },
                front: l.padding == Padding::Front,
            }
        }
        _ => Join::Append { axis: 0 },
    }
}

fn whole(shape: &[usize]) -> Vec<SliceOrIndex> {
    shape.iter().map(|&d| SliceOrIndex::from(0..d)).collect()
}

/// Joins dataset `name` of `shards` into the same dataset of `out` (a copy of shard 0's).
fn join_typed<T: hdf5::H5Type + Copy + Default>(
    out: &hdf5::File,
    shards: &[ShardFile],
    name: &str,
    join: Join,
) -> Result<()> {
    let sources: Vec<hdf5::Dataset> = shards
        .iter()
        .map(|s| {
            s.file
                .dataset(name)
                .with_context(|| format!("{}: dataset {name} is missing", s.path.display()))
        })
        .collect::<Result<_>>()?;
    let shapes: Vec<Vec<usize>> = sources.iter().map(|d| d.shape()).collect();
    let axis = match join {
        Join::Append { axis } => axis,
        Join::Offsets | Join::Padded { .. } => 0,
    };
    let skip = match join {
        Join::Padded { point_axis, .. } => Some(point_axis),
        _ => None,
    };
    for (s, sh) in shards.iter().zip(&shapes).skip(1) {
        let same = sh.len() == shapes[0].len()
            && (0..sh.len()).all(|k| k == axis || Some(k) == skip || sh[k] == shapes[0][k]);
        if !same {
            bail!(
                "{}: dataset {name} has shape {}, {} has {}: cannot be joined",
                s.path.display(),
                h5util::shape_str(sh),
                shards[0].path.display(),
                h5util::shape_str(&shapes[0])
            );
        }
    }
    let mut target_shape = shapes[0].clone();
    target_shape[axis] = match join {
        Join::Offsets => 1 + shapes.iter().map(|s| s[0].saturating_sub(1)).sum::<usize>(),
        _ => shapes.iter().map(|s| s[axis]).sum(),
    };
    let width = skip.map(|p| shapes.iter().map(|s| s[p]).max().unwrap_or(0));
    let mut ds = out.dataset(name)?;
    match (join, width) {
        (Join::Padded { point_axis, .. }, Some(w)) if w != shapes[0][point_axis] => {
            // The widest shard sets the width, as the single run's widest shower did: rebuilt with
            // the chunking and compression of `PointsWriter` (one row a chunk, gzip 4).
            drop(ds);
            out.unlink(name)?;
            let mut row = shapes[0][1..].to_vec();
            row[point_axis - 1] = w;
            ds = h5util::growable::<T>(out, Path::new(name), name, &row, 1, Some(4))?;
            target_shape[point_axis] = w;
            ds.resize(target_shape.clone())?;
        }
        _ => ds.resize(target_shape.clone())?,
    }
    let mut at = 0usize;
    let mut cells_before: i64 = 0;
    for (k, (src, sh)) in sources.iter().zip(&shapes).enumerate() {
        // Shard 0 is already in place unless its rows were widened.
        let rebuilt = width.is_some_and(|w| skip.is_some_and(|p| shapes[0][p] != w));
        let along = sh[axis];
        // Blocks of rows keep the memory bounded for shards larger than memory.
        let step = (64 << 20) / (sh.iter().product::<usize>() / along.max(1)).max(1) / 4;
        let step = step.max(1);
        let mut r = if k == 0 && !rebuilt { along } else { 0 };
        if join == Join::Offsets && k > 0 {
            r = 1; // the leading 0 of every later shard
        }
        while r < along {
            let end = (r + step).min(along);
            if join == Join::Offsets {
                // Entry r of this shard lands at `at + r`: its leading 0 is the previous shard's
                // last entry.
                let v: Vec<i64> = src.read_slice_1d::<i64, _>(r..end)?.to_vec();
                let shifted: Vec<i64> = v.iter().map(|o| o + cells_before).collect();
                ds.write_slice(&shifted, at + r..at + end)
                    .with_context(|| format!("{name}: write"))?;
                r = end;
                continue;
            }
            let mut sel = whole(sh);
            sel[axis] = SliceOrIndex::from(r..end);
            let block: ArrayD<T> = src.read_slice(Hyperslab::from(sel))?;
            let (block, dst_start) = match join {
                Join::Padded { point_axis, .. } if sh[point_axis] == width.unwrap_or(0) => {
                    (block, at + r)
                }
                Join::Padded { point_axis, front } => {
                    let w = width.expect("padded joins have a width");
                    let p = sh[point_axis];
                    let shift = if front { w - p } else { 0 };
                    let mut dims = block.shape().to_vec();
                    dims[point_axis] = w;
                    let mut wide = ArrayD::<T>::default(IxDyn(&dims));
                    for (idx, v) in block.indexed_iter() {
                        let mut j = idx.slice().to_vec();
                        j[point_axis] += shift;
                        wide[IxDyn(&j)] = *v;
                    }
                    (wide, at + r)
                }
                Join::Append { .. } | Join::Offsets => (block, at + r),
            };
            let mut sel = whole(block.shape());
            sel[axis] = SliceOrIndex::from(dst_start..dst_start + (end - r));
            ds.write_slice(&block, Hyperslab::from(sel))
                .with_context(|| format!("{name}: write"))?;
            r = end;
        }
        if join == Join::Offsets {
            let last: Vec<i64> = src.read_slice_1d::<i64, _>(along - 1..along)?.to_vec();
            cells_before += last[0];
            at += along - 1;
        } else {
            at += along;
        }
    }
    Ok(())
}

fn join(out: &hdf5::File, shards: &[ShardFile], name: &str) -> Result<()> {
    let ds = out.dataset(name)?;
    let shape = ds.shape();
    let layout = match out.attr("layout") {
        Ok(a) => PointLayout::preset(a.read_scalar::<VarLenUnicode>()?.as_str()),
        Err(_) => None,
    };
    let j = join_of(name, &shape, layout.as_ref());
    if j == Join::Offsets && ds.dtype()?.to_descriptor()? != TypeDescriptor::Integer(IntSize::U8) {
        bail!("dataset {name}: offsets are expected as 64-bit integers");
    }
    if shape.is_empty() {
        bail!("dataset {name} is a scalar: there is no row to join");
    }
    let t = ds.dtype()?.to_descriptor()?;
    drop(ds);
    use TypeDescriptor as D;
    match t {
        D::Float(FloatSize::U4) => join_typed::<f32>(out, shards, name, j),
        D::Float(FloatSize::U8) => join_typed::<f64>(out, shards, name, j),
        D::Integer(IntSize::U1) => join_typed::<i8>(out, shards, name, j),
        D::Integer(IntSize::U2) => join_typed::<i16>(out, shards, name, j),
        D::Integer(IntSize::U4) => join_typed::<i32>(out, shards, name, j),
        D::Integer(IntSize::U8) => join_typed::<i64>(out, shards, name, j),
        D::Unsigned(IntSize::U1) => join_typed::<u8>(out, shards, name, j),
        D::Unsigned(IntSize::U2) => join_typed::<u16>(out, shards, name, j),
        D::Unsigned(IntSize::U4) => join_typed::<u32>(out, shards, name, j),
        D::Unsigned(IntSize::U8) => join_typed::<u64>(out, shards, name, j),
        D::Boolean => join_typed::<bool>(out, shards, name, j),
        other => bail!("dataset {name}: type {other} cannot be joined"),
    }
}

pub fn run(args: Args) -> Result<()> {
    let mut out = AtomicFile::create(&args.out)?;
    let shards = args
        .shards
        .iter()
        .map(|p| open_shard(p))
        .collect::<Result<Vec<_>>>()?;
    let shards = check_together(shards)?;
    let mut names = Vec::new();
    datasets(&shards[0].file, "", &mut names)?;
    for s in &shards[1..] {
        let mut other = Vec::new();
        datasets(&s.file, "", &mut other)?;
        if other != names {
            bail!(
                "{} holds datasets {other:?}, {} holds {names:?}: not the same kind of file",
                s.path.display(),
                shards[0].path.display()
            );
        }
    }
    // Shard 0's bytes are the start: every attribute, group and dataset property comes along.
    let mut src = std::fs::File::open(&shards[0].path)
        .with_context(|| format!("{}: cannot read", shards[0].path.display()))?;
    std::io::copy(&mut src, out.file())
        .with_context(|| format!("{}: write failed", args.out.display()))?;
    let merged = hdf5::File::open_rw(out.temp_path())?;
    for name in &names {
        join(&merged, &shards, name)
            .with_context(|| format!("joining {} into {}", name, args.out.display()))?;
    }
    for a in [ATTR_SHARD, ATTR_RANGE, ATTR_TOTAL] {
        merged.delete_attr(a)?;
    }
    merged.flush()?;
    merged.close()?;
    // The merged file must read as a shower file of the run's length before it replaces OUT.
    let total = shards[0].total as usize;
    let check = calogen_data::open(out.temp_path(), &Default::default())
        .with_context(|| format!("{}: the merged file does not read back", args.out.display()))?;
    if check.len() != total {
        bail!(
            "{}: the merged file holds {} showers, the shards {total}",
            args.out.display(),
            check.len()
        );
    }
    drop(check);
    out.commit()?;
    println!(
        "{} shards, {total} showers merged\n  {}",
        shards.len(),
        args.out.display()
    );
    Ok(())
}
