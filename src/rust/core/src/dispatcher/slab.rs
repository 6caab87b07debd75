//! Tasks by id. Ids are handed out in increasing order and tasks mostly
//! leave in the order they came, so a double-ended vector indexed by
//! `id - base` keeps each task in one slot with no hashing and no table
//! that doubles: a queued task costs its own size. A task taken out of
//! order leaves an empty slot until the ones before it are gone.

use std::collections::VecDeque;

pub(super) struct Slab<T> {
    slots: VecDeque<Option<T>>,
    /// The id of `slots[0]`.
    base: u64,
    live: usize,
}

impl<T> Slab<T> {
    /// An empty slab whose first id is `first`.
    pub fn new(first: u64) -> Slab<T> {
        Slab {
            slots: VecDeque::new(),
            base: first,
            live: 0,
        }
    }

    /// The id the next inserted item gets.
    pub fn next_id(&self) -> u64 {
        self.base + self.slots.len() as u64
    }

    /// Room for `n` more items, allocated exactly.
    pub fn reserve(&mut self, n: usize) {
        self.slots.reserve_exact(n);
    }

    pub fn insert(&mut self, item: T) -> u64 {
        let id = self.next_id();
        self.slots.push_back(Some(item));
        self.live += 1;
        id
    }

    fn index(&self, id: u64) -> Option<usize> {
        id.checked_sub(self.base)
            .map(|i| i as usize)
            .filter(|i| *i < self.slots.len())
    }

    pub fn get(&self, id: u64) -> Option<&T> {
        self.slots.get(self.index(id)?)?.as_ref()
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        let index = self.index(id)?;
        self.slots.get_mut(index)?.as_mut()
    }

    pub fn contains(&self, id: u64) -> bool {
        self.get(id).is_some()
    }

    pub fn remove(&mut self, id: u64) -> Option<T> {
        let index = self.index(id)?;
        let item = self.slots.get_mut(index)?.take()?;
        self.live -= 1;
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base += 1;
        }
        if self.slots.is_empty() {
            // Give a large table back once it has drained.
            self.slots = VecDeque::new();
        }
        Some(item)
    }

    /// How many items are held.
    pub fn len(&self) -> usize {
        self.live
    }

    /// The held items with their ids, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &T)> + '_ {
        let base = self.base;
        self.slots
            .iter()
            .enumerate()
            .filter_map(move |(i, slot)| slot.as_ref().map(|item| (base + i as u64, item)))
    }
}

#[cfg(test)]
mod tests {
    use super::Slab;

    #[test]
    fn ids_increase_and_survive_removal_in_any_order() {
        let mut slab = Slab::new(1);
        let ids: Vec<u64> = (0..5).map(|i| slab.insert(i * 10)).collect();
        assert_eq!(ids, vec![1, 2, 3, 4, 5]);
        assert_eq!(slab.remove(3), Some(20));
        assert_eq!(slab.remove(3), None);
        assert_eq!(slab.remove(1), Some(0));
        assert_eq!(slab.get(2), Some(&10));
        assert_eq!(slab.len(), 3);
        assert_eq!(
            slab.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            vec![2, 4, 5]
        );
        for id in [2, 4, 5] {
            slab.remove(id);
        }
        assert_eq!(slab.len(), 0);
        assert_eq!(slab.insert(60), 6, "ids are never reused");
        assert!(slab.get(0).is_none() && slab.get(99).is_none());
    }
}
