/**
 * Provenance for saved models, in the spirit of Tribuo's provenance: a {@code provenance.json}
 * manifest ({@link org.distill4j.provenance.ProvenanceManifest}) recording what a model was built
 * from (teacher, terms decision, data sets, training configuration, seed, software) plus a SHA-256
 * of every file in the model directory, so that {@link org.distill4j.provenance.Provenance#verify}
 * can tell whether the directory still holds what was recorded; and a Hugging Face style model
 * card ({@link org.distill4j.provenance.ModelCard}) that carries the teacher's required notices.
 */
package org.distill4j.provenance;
