//! The one way datasets are loaded, for every command: a dataset declared `from classify`
//! is built by the stage that classifies records (handed in as a [`Derive`]), a large file
//! may be read through the column cache, and anything else is read from its files.

use super::cache::{self, Filter};
use super::{DatasetSpec, LoadContext, Table};
use std::path::Path;

/// Builds the datasets that other datasets' records are classified into
/// (`dataset d from classify TABLE`). Classification is a stage above this one, so it is
/// handed to the loader rather than called from here; every caller must hand one in, which
/// is what keeps every command able to load such datasets.
pub trait Derive {
    /// The dataset `spec`, built by classifying through `table`. `None` when that failed
    /// (the reasons are in the context).
    fn derive(&self, spec: &DatasetSpec, table: &str, data_dir: &Path, ctx: &mut LoadContext<'_>) -> Option<Table>;
}

/// Whether large files are read through the column cache (see [`cache`]).
pub enum CacheUse<'f> {
    /// Read the files (a whole evaluation reads every row anyway).
    Off,
    /// Use the cache for files over its threshold; with a filter, keep only those rows.
    On(Option<Filter<'f>>),
}

/// A dataset as loaded, and whether it holds only the rows a cache filter kept (otherwise
/// every row of its files).
pub struct Loaded {
    pub table: Table,
    pub filtered: bool,
}

/// Where datasets are read from, and how.
pub struct Loader<'a> {
    /// The folder that datasets' `file` paths are relative to.
    pub data_dir: &'a Path,
    pub derive: &'a dyn Derive,
    pub cache: CacheUse<'a>,
}

impl Loader<'_> {
    /// Load each dataset, in order. A dataset that cannot be used is `None`, with the
    /// reasons in the context's diagnostics.
    pub fn load_all(&self, specs: &[DatasetSpec], ctx: &mut LoadContext<'_>) -> Vec<Option<Loaded>> {
        specs.iter().map(|s| self.load(s, ctx)).collect()
    }

    /// Load one dataset (see [`Loader::load_all`]).
    pub fn load(&self, spec: &DatasetSpec, ctx: &mut LoadContext<'_>) -> Option<Loaded> {
        let whole = |table| Loaded { table, filtered: false };
        let chosen;
        let spec = if spec.alternatives.iter().any(|a| !a.is_empty()) {
            match spec.in_folder(self.data_dir) {
                Ok(s) => {
                    chosen = s;
                    &chosen
                }
                Err(d) => {
                    ctx.diagnostics.push(*d);
                    return None;
                }
            }
        } else {
            spec
        };
        if let Some(table) = &spec.classified {
            return self.derive.derive(spec, table, self.data_dir, ctx).map(whole);
        }
        match &self.cache {
            CacheUse::Off => super::load_files(spec, self.data_dir, ctx).map(whole),
            CacheUse::On(filter) => cache::load(spec, self.data_dir, ctx, filter.as_ref())
                .map(|(table, filtered)| Loaded { table, filtered }),
        }
    }

    /// Load one dataset chunk by chunk, handing each chunk of rows to `each` as a table of
    /// its own as soon as it is read, so that memory stays that of a chunk however large
    /// the file. Only a dataset in one clean delimited file larger than a chunk streams
    /// (not one built by classifying, nor one whose rows are rolled up); gives the
    /// dataset's table without rows (its file, hashed, for the stamp).
    ///
    /// `None` when the dataset is to be loaded whole with [`Loader::load`] instead, which
    /// reports whatever stopped the stream (a bad cell, a duplicate key); the chunks handed
    /// out before are then to be forgotten. Also `None` when `each` returns false.
    pub fn stream(&self, spec: &DatasetSpec, each: &mut dyn FnMut(Table) -> bool) -> Option<Table> {
        let chosen;
        let spec = if spec.alternatives.iter().any(|a| !a.is_empty()) {
            chosen = spec.in_folder(self.data_dir).ok()?;
            &chosen
        } else {
            spec
        };
        if spec.classified.is_some() || spec.rolls_up {
            return None;
        }
        super::stream_file(spec, self.data_dir, each)
    }
}
