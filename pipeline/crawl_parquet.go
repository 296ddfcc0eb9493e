package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

	"pipeline/catalog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// parquetFooterRead is how much of a Parquet object's tail the crawler reads
// in its first request: the footer of a file of a few hundred columns fits,
// and a larger one costs one more request.
const parquetFooterRead = 64 << 10

// parquetSchema reads the columns and row count of a Parquet object from its footer, with
// ranged GETs of the object's tail (never the whole object).
func parquetSchema(ctx context.Context, s3c *s3.Client, bucket, key string, size int64) ([]catalog.Column, rowCount, error) {
	r := &s3RangeReader{ctx: ctx, s3: s3c, bucket: bucket, key: key}
	f, err := parquet.OpenFile(r, size, parquet.SkipMagicBytes(true), parquet.SkipPageIndex(true),
		parquet.SkipBloomFilters(true), parquet.OptimisticRead(true), parquet.ReadBufferSize(parquetFooterRead))
	if err != nil {
		return nil, rowCount{}, fmt.Errorf("crawl: s3://%s/%s is not a readable Parquet file: %w", bucket, key, err)
	}
	var cols []catalog.Column
	for _, field := range f.Schema().Fields() {
		cols = append(cols, catalog.Column{Name: field.Name(), Type: parquetColumnType(field)})
	}
	return cols, rowCount{n: f.NumRows(), exact: true}, nil
}

// parquetColumnType maps a top-level Parquet field to the catalog type a
// Glue crawler gives it. Nested fields and decimals are outside what the
// pipeline writes; they are read as string and double.
func parquetColumnType(n parquet.Node) string {
	if !n.Leaf() || n.Repeated() {
		return catalog.TypeString
	}
	t := n.Type()
	if lt := t.LogicalType(); lt != nil {
		switch lt.Value.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType, *format.UUIDType:
			return catalog.TypeString
		case *format.DateType:
			return catalog.TypeDate
		case *format.TimestampType:
			return catalog.TypeTimestamp
		case *format.IntType:
			return catalog.TypeBigint
		case *format.DecimalType:
			return catalog.TypeDouble
		}
	}
	if ct := t.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.UTF8, deprecated.Enum, deprecated.Json:
			return catalog.TypeString
		case deprecated.Date:
			return catalog.TypeDate
		case deprecated.TimestampMillis, deprecated.TimestampMicros:
			return catalog.TypeTimestamp
		case deprecated.Decimal:
			return catalog.TypeDouble
		}
	}
	switch t.Kind() {
	case parquet.Boolean:
		return catalog.TypeBoolean
	case parquet.Int32, parquet.Int64:
		return catalog.TypeBigint
	case parquet.Float, parquet.Double:
		return catalog.TypeDouble
	case parquet.Int96: // Spark's and Hive's old timestamps
		return catalog.TypeTimestamp
	}
	return catalog.TypeString
}

// s3RangeReader reads an S3 object at offsets with ranged GETs.
type s3RangeReader struct {
	ctx         context.Context
	s3          *s3.Client
	bucket, key string
}

func (r *s3RangeReader) ReadAt(p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	out, err := r.s3.GetObject(r.ctx, &s3.GetObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(r.key),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+int64(len(p))-1))})
	if err != nil {
		return 0, fmt.Errorf("read s3://%s/%s: %w", r.bucket, r.key, err)
	}
	defer out.Body.Close()
	n, err := io.ReadFull(out.Body, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}
