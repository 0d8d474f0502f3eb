/* The machine's float32 arithmetic peak: every thread runs 12 independent
 * chains of 512-bit fused multiply-adds (16 lanes x 2 FLOPs each), enough to
 * keep both FMA pipes busy; nothing touches memory.
 *
 * Build and run: benchmarks/peak/run.sh (gcc -O3 -march=native -fopenmp).
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>

enum { CHAINS = 12, LANES = 16 };

int main(void) {
  const long iterations = 200000000;
  double best = 0.0;
  for (int round = 0; round < 3; round++) {
    float sink = 0.0f;
    const double start = omp_get_wtime();
#pragma omp parallel reduction(+ : sink)
    {
      __m512 acc[CHAINS];
      const __m512 b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
      for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
      for (long it = 0; it < iterations; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
      }
      __m512 total = acc[0];
      for (int i = 1; i < CHAINS; i++) total = _mm512_add_ps(total, acc[i]);
      sink += _mm512_reduce_add_ps(total);  // keeps the loop from being removed
    }
    const double seconds = omp_get_wtime() - start;
    const double flops = (double)iterations * CHAINS * LANES * 2 * omp_get_max_threads();
    if (flops / seconds > best) best = flops / seconds;
    if (sink == 0.0f) printf("(unexpected zero)\n");
  }
  printf("FMA peak, %d threads: %.1f GFLOP/s (best of 3)\n", omp_get_max_threads(), best / 1e9);
  return 0;
}
