//! L'Ecuyer-CMRG (MRG32k3a) random number streams in R's `.Random.seed`
//! layout, so every worker gets its own stream, exactly as R's
//! `parallel::nextRNGStream()` would hand them out.

use std::sync::OnceLock;

const M1: u64 = 4_294_967_087;
const M2: u64 = 4_294_944_443;
/// R's kind code: L'Ecuyer-CMRG, Inversion normals, Rejection sampling.
pub const KIND: i32 = 10407;

type Matrix = [[u64; 3]; 3];

fn multiply(a: &Matrix, b: &Matrix, m: u64) -> Matrix {
    let mut out = [[0u64; 3]; 3];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            let mut sum: u128 = 0;
            for (k, a_ik) in a[i].iter().enumerate() {
                sum += *a_ik as u128 * b[k][j] as u128;
            }
            *cell = (sum % m as u128) as u64;
        }
    }
    out
}

/// `a` raised to the power 2^127 modulo `m`, by repeated squaring.
fn jump(a: Matrix, m: u64) -> Matrix {
    let mut out = a;
    for _ in 0..127 {
        out = multiply(&out, &out, m);
    }
    out
}

fn jumps() -> &'static (Matrix, Matrix) {
    static JUMPS: OnceLock<(Matrix, Matrix)> = OnceLock::new();
    JUMPS.get_or_init(|| {
        let a1 = [[0, 1, 0], [0, 0, 1], [M1 - 810_728, 1_403_580, 0]];
        let a2 = [[0, 1, 0], [0, 0, 1], [M2 - 1_370_589, 0, 527_612]];
        (jump(a1, M1), jump(a2, M2))
    })
}

fn apply(a: &Matrix, v: [u64; 3], m: u64) -> [u64; 3] {
    let mut out = [0u64; 3];
    for (i, cell) in out.iter_mut().enumerate() {
        let sum: u128 = (0..3).map(|k| a[i][k] as u128 * v[k] as u128).sum();
        *cell = (sum % m as u128) as u64;
    }
    out
}

/// A position in the L'Ecuyer-CMRG generator's sequence of streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stream {
    state: [u64; 6],
}

impl Stream {
    /// A stream from random 32-bit words, kept within the generator's moduli
    /// and never all zero in either half.
    pub fn from_words(words: [u32; 6]) -> Stream {
        let mut state = [0u64; 6];
        for i in 0..3 {
            state[i] = words[i] as u64 % M1;
            state[i + 3] = words[i + 3] as u64 % M2;
        }
        if state[..3].iter().all(|&x| x == 0) {
            state[0] = 1;
        }
        if state[3..].iter().all(|&x| x == 0) {
            state[3] = 1;
        }
        Stream { state }
    }

    /// A stream seeded from the operating system's secure generator.
    pub fn random() -> Stream {
        let mut bytes = [0u8; 24];
        crate::secure_random::fill(&mut bytes);
        let mut words = [0u32; 6];
        for (i, w) in words.iter_mut().enumerate() {
            *w = u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap_or([0; 4]));
        }
        Stream::from_words(words)
    }

    /// The next stream, 2^127 steps further along.
    pub fn next(&self) -> Stream {
        let (a1, a2) = jumps();
        let s = self.state;
        let first = apply(a1, [s[0], s[1], s[2]], M1);
        let second = apply(a2, [s[3], s[4], s[5]], M2);
        Stream {
            state: [
                first[0], first[1], first[2], second[0], second[1], second[2],
            ],
        }
    }

    /// R's `.Random.seed`: the kind code then the six words as signed ints.
    pub fn to_r_seed(&self) -> [i32; 7] {
        let mut out = [KIND; 7];
        for (i, word) in self.state.iter().enumerate() {
            out[i + 1] = *word as u32 as i32;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jump_matrices_match_the_published_ones() {
        let (a1, a2) = jumps();
        assert_eq!(a1[0], [2427906178, 3580155704, 949770784]);
        assert_eq!(a1[2], [1988835001, 986791581, 1230515664]);
        assert_eq!(a2[0], [1464411153, 277697599, 1610723613]);
        assert_eq!(a2[2], [2824425944, 32183930, 2093834863]);
    }

    #[test]
    fn streams_advance_and_differ() {
        let s = Stream::from_words([1, 2, 3, 4, 5, 6]);
        let n = s.next();
        assert_ne!(s, n);
        assert_ne!(n, n.next());
        assert_eq!(n.to_r_seed()[0], KIND);
    }

    #[test]
    fn zero_words_are_repaired() {
        let s = Stream::from_words([0; 6]);
        assert_eq!(s.to_r_seed()[1], 1);
        assert_eq!(s.to_r_seed()[4], 1);
    }
}
