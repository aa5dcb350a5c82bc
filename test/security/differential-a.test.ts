/** Differential oracle for PERSONAS[0..2) (the suite is in differential.ts). */
import { differentialSuite } from './differential.js';

differentialSuite(0, 2);
