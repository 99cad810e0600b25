// @deckhand/capture: the public face. Re-exports only.
export {};
