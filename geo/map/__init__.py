"""The layout map: read (data), drawn (render), built and kept on disk (build), served with its
own policy (frame), rebuilt on changes and nightly (tasks)."""
