/** Differential oracle for the Tracklane example's personas [0..4) (the suite is in differential.ts). */
import { PROJECTS } from '../support/domains.js';
import { differentialSuite } from './differential.js';

differentialSuite(PROJECTS, 0, 4);
