/**
 * Teacher labelling as an Apache Spark job: the driver checks the licence gate, plans the
 * partitions and writes the manifest; executors only score rows with a teacher loaded once per
 * JVM. Entry point: {@link org.distill4j.spark.LabelJob}. See docs/scale-out.md.
 */
package org.distill4j.spark;
