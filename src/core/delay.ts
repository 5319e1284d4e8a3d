/** Resolves after `ms` milliseconds: the pause of every backoff and polling loop. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
