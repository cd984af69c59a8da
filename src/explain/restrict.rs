//! Keep only the rows one entity's figure can depend on: those of the entities in its
//! peer group (every statistic it uses is over that group), or its own alone when it uses
//! no statistic. Its value is the same as over all entities, and on a million entities it
//! is computed over a fraction of them.

use crate::data::{FieldKey, Table};
use crate::value::Value;
use std::collections::HashSet;
use std::sync::Arc;

pub fn to_peers(tables: &mut [Table], period: &str, entity: &str, peer_fields: &[String]) {
    let in_period = |t: &Table, i: usize| t.periods.get(i).is_some_and(|p| p.is_empty() || p.as_ref() == period);
    let is_entity = |t: &Table, i: usize| t.keys.get(i).is_some_and(|k| k.as_ref() == entity) && in_period(t, i);
    if !tables.iter().any(|t| !t.records && (0..t.keys.len()).any(|i| is_entity(t, i))) {
        return; // unknown here: leave the data whole, so the error can suggest a key
    }
    let mut keep: HashSet<Arc<str>> = HashSet::new();
    keep.insert(Arc::from(entity));
    if !peer_fields.is_empty() {
        let keys: Vec<FieldKey> =
            peer_fields.iter().map(|f| FieldKey { field: f.clone(), index: Vec::new() }).collect();
        // The peer fields must come from one table, as the frame takes them.
        let Some(table) = tables.iter().find(|t| !t.records && keys.iter().all(|k| t.columns.contains_key(k))) else {
            return;
        };
        let columns: Vec<&Vec<Value>> = keys.iter().filter_map(|k| table.columns.get(k).map(|c| &**c)).collect();
        let Some(row) = (0..table.keys.len()).find(|i| is_entity(table, *i)) else { return };
        let own: Vec<&Value> = columns.iter().filter_map(|c| c.get(row)).collect();
        // An entity with a missing peer field has no group: its own row is enough.
        if own.len() == columns.len() && own.iter().all(|v| !v.is_missing()) {
            for i in 0..table.keys.len() {
                if in_period(table, i) && columns.iter().zip(&own).all(|(c, v)| c.get(i) == Some(*v)) {
                    if let Some(k) = table.keys.get(i) {
                        keep.insert(k.clone());
                    }
                }
            }
        }
    }
    for t in tables.iter_mut().filter(|t| !t.records) {
        let rows: Vec<bool> = t.keys.iter().map(|k| keep.contains(k)).collect();
        retain(t, &rows);
    }
}

fn retain(t: &mut Table, keep: &[bool]) {
    fn filter<T>(v: &mut Vec<T>, keep: &[bool]) {
        let mut keep = keep.iter();
        v.retain(|_| keep.next().copied().unwrap_or(false));
    }
    filter(&mut t.keys, keep);
    filter(&mut t.periods, keep);
    filter(&mut t.origins, keep);
    for c in t.columns.values_mut() {
        filter(std::sync::Arc::make_mut(c), keep);
    }
    if let Some(parts) = &mut t.parts {
        filter(parts, keep);
    }
}
