/** Differential oracle for PERSONAS[4..7): the personas with row filters and masks (the suite is in differential.ts). */
import { differentialSuite } from './differential.js';

differentialSuite(4, 7);
