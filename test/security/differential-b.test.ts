/** Differential oracle for PERSONAS[2..4) (the suite is in differential.ts). */
import { differentialSuite } from './differential.js';

differentialSuite(2, 4);
