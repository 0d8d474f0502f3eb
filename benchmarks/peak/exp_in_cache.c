/* The least time exp can take over the 8 x 4096 x 4096 attention scores of
 * the N = 4096 benchmark, as a fused kernel would see them: each thread
 * exponentiates a 4096-float row held in L1 again and again (134M values in
 * all) with a 512-bit degree-6 polynomial (relative error ~1e-7) and sums
 * the results. No score ever goes to memory.
 *
 * Build and run: benchmarks/peak/run.sh (gcc -O3 -march=native -fopenmp).
 */
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>

enum { ROW = 4096 };

static inline __m512 exp16(__m512 x) {
  /* exp(x) = 2^n * p(r), x = n ln2 + r, |r| <= ln2 / 2 */
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.6931471806f), x);
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

int main(void) {
  const long total = 8L * 4096 * 4096;  // B * H * N * N scores
  double best = 1e30;
  for (int round = 0; round < 3; round++) {
    double sink = 0.0;
    const double start = omp_get_wtime();
#pragma omp parallel reduction(+ : sink)
    {
      float row[ROW] __attribute__((aligned(64)));
      for (int i = 0; i < ROW; i++) row[i] = -(float)i / 400.0f;  // scores minus their max
      __m512 sum = _mm512_setzero_ps();
#pragma omp for
      for (long block = 0; block < total / ROW; block++)
        for (int i = 0; i < ROW; i += 16) sum = _mm512_add_ps(sum, exp16(_mm512_load_ps(row + i)));
      sink += _mm512_reduce_add_ps(sum);
    }
    const double seconds = omp_get_wtime() - start;
    if (seconds < best) best = seconds;
    if (sink == 0.0) printf("(unexpected zero)\n");
  }
  float x[16] __attribute__((aligned(64))), y[16];
  for (int i = 0; i < 16; i++) x[i] = -1.37f * i;
  _mm512_storeu_ps(y, exp16(_mm512_load_ps(x)));
  float error = 0.0f;
  for (int i = 0; i < 16; i++) error = fmaxf(error, fabsf(y[i] - expf(x[i])) / expf(x[i]));
  printf("exp of %ld floats in L1, %d threads: %.1f ms (best of 3; max relative error %.1e)\n",
         total, omp_get_max_threads(), best * 1e3, error);
  return 0;
}
