package catalog

// Table parameters a crawl sets, named as a Glue crawler names them (Athena
// users see the same in Glue), and the one it adds: whether recordCount is
// an estimate from a sample rather than a count.
const (
	ParamRecordCount   = "recordCount"
	ParamObjectCount   = "objectCount"
	ParamSize          = "sizeKey" // bytes
	ParamAvgRecordSize = "averageRecordSize"
	ParamRowsEstimated = "recordCountEstimated"
)
