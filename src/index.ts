import * as core from '@actions/core';
import { runMain } from './main.js';
import { runPost } from './post.js';
import { StateKey } from './state.js';

// One bundle serves main and post: main marks the state so that post knows it is post.
const isPost = core.getState(StateKey.isPost) === 'true';
if (!isPost) core.saveState(StateKey.isPost, 'true');

await (isPost ? runPost() : runMain());
