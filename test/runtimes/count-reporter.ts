import type { Reporter, SerializedError, TestModule } from 'vitest/node';

/**
 * Prints one plain line at the end of a run, `<Label>: N passed, N failed, N skipped`, the
 * same for every runtime (what CI reads). Failed counts failed tests and also every error
 * that fails a run without a failed test: a file that did not load, a beforeAll that threw
 * (its tests then show as skipped), an unhandled error.
 */
export class CountReporter implements Reporter {
  #line = '';

  constructor(private readonly label: string) {}

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of modules) {
      failed += module.errors().length;
      for (const suite of module.children.allSuites()) failed += suite.errors().length;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped += 1;
      }
    }
    this.#line = `${this.label}: ${passed} passed, ${failed} failed, ${skipped} skipped`;
  }

  // Vitest calls every reporter's onFinished after every onTestRunEnd, and the default
  // reporter prints its summary in onFinished: printed here, the line comes last.
  onFinished(): void {
    console.log(this.#line);
  }
}
