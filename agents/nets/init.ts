/**
 * Weight initialisation as RAD and CURL publish it (their `weight_init`, after
 * SAC-AE): orthogonal dense kernels with gain 1 and zero biases; convolutions are
 * delta-orthogonal (Xiao et al., 2018): all taps zero except the centre, which is
 * an orthogonal [in, out] matrix with the ReLU gain sqrt(2).
 *
 * The orthogonal factor is the Q of a reduced QR decomposition of a Gaussian
 * matrix with the signs of diag(R) folded in, which makes it uniform (Haar) over
 * matrices with orthonormal rows or columns, as torch.nn.init.orthogonal_ draws.
 * Gram-Schmidt yields a positive diag(R) directly. mathjs `qr` computes the same
 * factor (the tests check it) but it returns the full m x m Q (39200^2 for the
 * encoder's dense layer) and takes ~24 s at 512 x 512 in pure JS, so the reduced
 * factorisation is computed here: modified Gram-Schmidt on Float64Arrays for small
 * matrices; for large ones, products run as tf matMuls in float32 (orthogonal to
 * ~1e-6, the weights' own precision): CholeskyQR2 for a few long vectors (the
 * encoder's 50 x 39200 took 2.2 s by Gram-Schmidt), block classical Gram-Schmidt
 * with reorthogonalisation (CGS2) for many (1024 x 1024 took 2.7 s by Gram-Schmidt).
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../common/random.ts';

/** Above this many multiply-adds (short^2 x long) the tf methods run instead of float64 MGS. */
export const blockThreshold = 1e7;
/** Vectors per block of block CGS2, each orthonormalised at once by CholeskyQR2. */
const BLOCK = 64;

/**
 * A row-major [rows, cols] matrix with orthonormal columns (rows >= cols) or
 * orthonormal rows (rows < cols), times `gain`.
 */
export function orthogonal(rows: number, cols: number, rng: Random, gain = 1, threshold = blockThreshold): Float32Array {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new Error(`orthogonal: rows and cols must be positive integers, got ${rows} x ${cols}`);
  }
  const long = Math.max(rows, cols);
  const short = Math.min(rows, cols);
  // Gaussian vectors laid out contiguously, drawn column by column of the tall form.
  const vectors: Float64Array[] = [];
  for (let i = 0; i < short; i++) vectors.push(rng.fillNormal(new Float64Array(long)) as Float64Array);
  // Small ones stay in float64 MGS; the encoder's 50 x 39200 kernel is a single block (CholeskyQR2).
  const q = short * short * long <= threshold ? gramSchmidt(vectors) : blockGramSchmidt(vectors);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < short; i++) {
    const vector = q[i];
    for (let j = 0; j < long; j++) {
      // rows >= cols: vector i is column i; otherwise it is row i.
      if (rows >= cols) out[j * cols + i] = gain * vector[j];
      else out[i * cols + j] = gain * vector[j];
    }
  }
  return out;
}

/**
 * Modified Gram-Schmidt in float64; returns new vectors. Its loss of
 * orthogonality is about eps x cond(A) (Björck, 1967), ~1e-12 for the Gaussian
 * matrices drawn here, far below the float32 the weights are stored in.
 */
export function gramSchmidt(input: Float64Array[]): Float64Array[] {
  const vectors = input.map((v) => new Float64Array(v));
  for (let i = 0; i < vectors.length; i++) {
    const vector = vectors[i];
    for (let k = 0; k < i; k++) {
      const basis = vectors[k];
      let dot = 0;
      for (let j = 0; j < vector.length; j++) dot += vector[j] * basis[j];
      for (let j = 0; j < vector.length; j++) vector[j] -= dot * basis[j];
    }
    let norm = 0;
    for (let j = 0; j < vector.length; j++) norm += vector[j] * vector[j];
    norm = Math.sqrt(norm);
    if (!(norm > 1e-12)) throw new Error(`gramSchmidt: vector ${i} is linearly dependent on the previous ones`);
    for (let j = 0; j < vector.length; j++) vector[j] /= norm;
  }
  return vectors;
}

/** A dense kernel in tfjs layout [in, out]: torch's orthogonal [out, in] weight, transposed. */
export function orthogonalKernel(inputSize: number, outputSize: number, rng: Random, gain = 1): Float32Array {
  const torchLayout = orthogonal(outputSize, inputSize, rng, gain);
  const kernel = new Float32Array(inputSize * outputSize);
  for (let o = 0; o < outputSize; o++) {
    for (let i = 0; i < inputSize; i++) kernel[i * outputSize + o] = torchLayout[o * inputSize + i];
  }
  return kernel;
}

/** A conv kernel [k, k, in, out] that is zero except its centre tap (k odd). */
export function deltaOrthogonalKernel(size: number, inputChannels: number, outputChannels: number, rng: Random, gain = Math.SQRT2): Float32Array {
  if (size % 2 !== 1) throw new Error(`deltaOrthogonalKernel: kernel size must be odd, got ${size}`);
  const centre = orthogonalKernel(inputChannels, outputChannels, rng, gain);
  const kernel = new Float32Array(size * size * inputChannels * outputChannels);
  const middle = (size - 1) / 2;
  const offset = (middle * size + middle) * inputChannels * outputChannels;
  kernel.set(centre, offset);
  return kernel;
}

/**
 * Block CGS2: each block of 64 vectors is projected twice against the basis so
 * far (C = V Q^T, V -= C Q, as untransposed tf matMuls against a kept Q^T), then
 * orthonormalised within itself by CholeskyQR2 (modified Gram-Schmidt in float64
 * where the block is too ill-conditioned for it, as the last block of a square matrix can be).
 */
export function blockGramSchmidt(input: Float64Array[], block = BLOCK): Float64Array[] {
  const length = input[0].length;
  const out: Float64Array[] = [];
  let basis: tf.Tensor2D | null = null; // [k, length]
  let basisTransposed: tf.Tensor2D | null = null; // [length, k]
  try {
    for (let start = 0; start < input.length; start += block) {
      const vectors = input.slice(start, start + block);
      let projected: Float64Array[] = vectors;
      if (basis && basisTransposed) {
        const flat = new Float32Array(vectors.length * length);
        vectors.forEach((vector, i) => flat.set(vector, i * length));
        // The tensor leaves tidy, not its values: tidy would walk a returned array element by element.
        const result = tf.tidy(() => {
          let v = tf.tensor2d(flat, [vectors.length, length]);
          for (let pass = 0; pass < 2; pass++) v = tf.sub(v, tf.matMul(tf.matMul(v, basisTransposed!), basis!));
          return v;
        });
        const values = result.dataSync() as Float32Array;
        result.dispose();
        projected = vectors.map((_, i) => new Float64Array(values.subarray(i * length, (i + 1) * length)));
      }
      const orthonormal = choleskyQr2(projected) ?? gramSchmidt(projected);
      out.push(...orthonormal);
      const rows = new Float32Array(orthonormal.length * length);
      orthonormal.forEach((vector, i) => rows.set(vector, i * length));
      const previous: [tf.Tensor2D | null, tf.Tensor2D | null] = [basis, basisTransposed];
      [basis, basisTransposed] = tf.tidy(() => {
        const added = tf.tensor2d(rows, [orthonormal.length, length]);
        return [previous[0] ? tf.concat([previous[0], added], 0) : added, previous[1] ? tf.concat([previous[1], tf.transpose(added)], 1) : tf.transpose(added)] as [tf.Tensor2D, tf.Tensor2D];
      });
      tf.dispose(previous.filter((t): t is tf.Tensor2D => t !== null));
    }
  } finally {
    tf.dispose([basis, basisTransposed].filter((t): t is tf.Tensor2D => t !== null));
  }
  return out;
}

/**
 * CholeskyQR2 (Fukaya et al., 2014) for a few long, well-conditioned vectors (the
 * rows of V): the Gram matrix G = V V^T as one tf matMul, its Cholesky factor L in
 * float64, V <- L^-1 V; twice, which brings the orthogonality to float32's level.
 * R = L^T has a positive diagonal, so Q is the factor Gram-Schmidt gives. In
 * float32 this needs cond(V) well below 1/sqrt(eps) ~ 4e3; it returns null when a
 * Cholesky pivot falls below 1e-6 of G's largest diagonal entry (cond(V) above
 * ~1e3), and the caller then uses Gram-Schmidt. The Gaussian draws here are far
 * from that: a 50 x 39200 one has cond ~1.07.
 */
export function choleskyQr2(input: Float64Array[]): Float64Array[] | null {
  const count = input.length;
  const length = input[0].length;
  const flat = new Float32Array(count * length);
  input.forEach((vector, i) => flat.set(vector, i * length));
  let v = tf.tensor2d(flat, [count, length]);
  try {
    for (let pass = 0; pass < 2; pass++) {
      const gram = tf.tidy(() => tf.matMul(v, v, false, true));
      const inverse = inverseCholesky(Float64Array.from(gram.dataSync()), count);
      gram.dispose();
      if (!inverse) return null;
      const next: tf.Tensor2D = tf.tidy(() => tf.matMul(tf.tensor2d(Float32Array.from(inverse), [count, count]), v));
      v.dispose();
      v = next;
    }
    const values = v.dataSync() as Float32Array;
    return Array.from({ length: count }, (_, i) => Float64Array.from(values.subarray(i * length, (i + 1) * length)));
  } finally {
    v.dispose();
  }
}

/** L^-1 (row-major n x n) for the Cholesky factor L of a symmetric matrix, or null if a pivot is too small. */
function inverseCholesky(gram: Float64Array, n: number): Float64Array | null {
  const lower = new Float64Array(n * n);
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, gram[i * n + i]);
  for (let j = 0; j < n; j++) {
    let pivot = gram[j * n + j];
    for (let k = 0; k < j; k++) pivot -= lower[j * n + k] * lower[j * n + k];
    if (!(pivot > 1e-6 * largest)) return null;
    const diagonal = Math.sqrt(pivot);
    lower[j * n + j] = diagonal;
    for (let i = j + 1; i < n; i++) {
      let sum = gram[i * n + j];
      for (let k = 0; k < j; k++) sum -= lower[i * n + k] * lower[j * n + k];
      lower[i * n + j] = sum / diagonal;
    }
  }
  // Forward substitution, column by column of the identity.
  const inverse = new Float64Array(n * n);
  for (let column = 0; column < n; column++) {
    for (let i = column; i < n; i++) {
      let sum = i === column ? 1 : 0;
      for (let k = column; k < i; k++) sum -= lower[i * n + k] * inverse[k * n + column];
      inverse[i * n + column] = sum / lower[i * n + i];
    }
  }
  return inverse;
}
