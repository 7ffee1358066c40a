import type { PostDeps } from '../post.js';
import type { SavedState } from '../state.js';
import { rollbackPost } from './rollback-post.js';
import { upPost } from './up-post.js';

export type PostHandler = (saved: SavedState, deps: PostDeps) => Promise<void>;

/** What post does after each command; commands without an entry need nothing. */
export const POST_HANDLERS: Readonly<Record<string, PostHandler>> = {
  // An ephemeral namespace is deleted or kept (upPost); a long-lived one is rolled back on failure.
  up: (saved, deps) => (saved.mode === 'long-lived' ? rollbackPost(saved, deps) : upPost(saved, deps)),
};
