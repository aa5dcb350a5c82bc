/** Differential oracle for the Tracklane example's personas [4..7): the finance analyst (a row filter, masks), the portfolio viewer (a project filter, a keyed hash), another organisation's lead (the suite is in differential.ts). */
import { PROJECTS } from '../support/domains.js';
import { differentialSuite } from './differential.js';

differentialSuite(PROJECTS, 4, 7);
