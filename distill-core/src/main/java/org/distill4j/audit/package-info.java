/**
 * The distillation audit: was a suspect model distilled from a teacher? A black-box test that
 * queries the suspect, the teacher and independent reference models on probe inputs chosen to
 * expose the teacher's idiosyncrasies, and reports whether the suspect is closer to the teacher
 * than independent models are, as a p-value ({@link org.distill4j.audit.DistillationAudit}).
 */
package org.distill4j.audit;
