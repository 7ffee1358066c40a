import type { PostDeps } from '../post.js';
import type { SavedState } from '../state.js';
import { upPost } from './up-post.js';

export type PostHandler = (saved: SavedState, deps: PostDeps) => Promise<void>;

/** What post does after each command; commands without an entry need nothing. */
export const POST_HANDLERS: Readonly<Record<string, PostHandler>> = {
  up: upPost,
};
